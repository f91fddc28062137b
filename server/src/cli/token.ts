// `switchboard token`: mints an HS256 token for a hub started with the same SWITCHBOARD_SECRET.
// It needs no hub: the secret is all it takes, so keep it where the hub's operator is.
import { parseArgs } from 'node:util';
import { Role } from '@switchboard/protocol';
import { SignJWT } from 'jose';

export const TOKEN_USAGE = `Usage: switchboard token --ns <namespace> --role <agent|observer|admin> [options]

Prints a token (HS256 JWT) for a hub that runs with the same secret.

Options:
  --ns <namespace>     the namespace the holder joins (default: default)
  --role <role>        agent (default), observer (read and watch only) or admin (also kick, delete any key)
  --ttl <duration>     how long the token can open sessions: 90s, 15m, 12h, 7d or seconds (default: 1h)
  --sub <who>          who holds it (shown in hub logs; sessions per token are counted by it)
  --caps <a,b,...>     the only capabilities the holder may claim (default: any)
  --sid <session-id>   the only session id the holder may take (default: any)
  --secret <secret>    the hub's secret (default: SWITCHBOARD_SECRET)
  --help               show this help
`;

const NAMESPACE = /^[A-Za-z0-9._-]{1,64}$/;
const DURATION = /^(\d+)(s|m|h|d)?$/;
const SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export class TokenUsageError extends Error {
  override name = 'TokenUsageError';
}

/** Builds and signs the token; throws TokenUsageError with one line for a bad option. */
export async function mintToken(args: string[], env: NodeJS.ProcessEnv, now = Date.now()): Promise<string> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        ns: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string' }, sub: { type: 'string' },
        caps: { type: 'string' }, sid: { type: 'string' }, secret: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new TokenUsageError((err as Error).message);
  }
  const secret = (values.secret as string | undefined) ?? env.SWITCHBOARD_SECRET;
  if (!secret || secret.length < 16) throw new TokenUsageError('needs the hub secret (16+ characters): --secret or SWITCHBOARD_SECRET');
  const ns = (values.ns as string | undefined) ?? 'default';
  if (!NAMESPACE.test(ns)) throw new TokenUsageError(`--ns "${ns}" must be 1-64 chars of [A-Za-z0-9._-]`);
  const role = Role.safeParse(values.role ?? 'agent');
  if (!role.success) throw new TokenUsageError(`--role "${String(values.role)}" must be agent, observer or admin`);
  const ttl = DURATION.exec((values.ttl as string | undefined) ?? '1h');
  if (!ttl || Number(ttl[1]) <= 0) throw new TokenUsageError(`--ttl "${String(values.ttl)}" must be a positive duration like 90s, 15m, 12h or 7d`);
  const seconds = Number(ttl[1]) * SECONDS[(ttl[2] ?? 's') as keyof typeof SECONDS];
  const claims: Record<string, unknown> = { ns, role: role.data };
  if (values.caps !== undefined) claims.caps = String(values.caps).split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (values.sid !== undefined) {
    if (!NAMESPACE.test(String(values.sid))) throw new TokenUsageError(`--sid "${String(values.sid)}" must be 1-64 chars of [A-Za-z0-9._-]`);
    claims.sid = values.sid;
  }
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(Math.floor(now / 1000)).setExpirationTime(Math.floor(now / 1000) + seconds);
  if (values.sub !== undefined) jwt = jwt.setSubject(String(values.sub));
  return jwt.sign(new TextEncoder().encode(secret));
}

/** The command: prints the token, or one error line (exit 2). */
export async function tokenCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(TOKEN_USAGE);
    return 0;
  }
  try {
    process.stdout.write(`${await mintToken(args, process.env)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof TokenUsageError)) throw err;
    process.stderr.write(`switchboard token: ${err.message}\n`);
    return 2;
  }
}
