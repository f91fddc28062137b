// Who may join, in which namespace, and as what: HS256 tokens signed with SWITCHBOARD_SECRET.
// Without a secret the hub is open: everyone is an `agent` of the default namespace.
import { jwtVerify } from 'jose';
import { Role } from '@switchboard/protocol';
import type { Hello } from '@switchboard/protocol';
import { z } from 'zod';
import { effectiveRole } from './roles.js';

export const DEFAULT_NAMESPACE = 'default';

/** Who a token (or the open hub) says the holder is. */
export interface Principal {
  ns: string;
  role: Role;
  /** Who: the token's `sub`, or null (open hub, or a token without one). */
  sub: string | null;
  /** Capabilities the holder may claim; null = any. */
  caps: string[] | null;
  /** The one session id the holder may take; null = any. */
  sid: string | null;
  /** When the token stops opening sessions (ms since epoch); null = never. */
  exp: number | null;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; message: string };

const Claims = z.object({
  ns: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a valid namespace').default(DEFAULT_NAMESPACE),
  role: Role.default('agent'),
  sub: z.string().min(1).max(256).optional(),
  caps: z.array(z.string().min(1).max(64)).max(64).optional(),
  sid: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a valid session id').optional(),
  exp: z.number().optional(),
});

export const OPEN_PRINCIPAL: Principal = Object.freeze({ ns: DEFAULT_NAMESPACE, role: 'agent', sub: null, caps: null, sid: null, exp: null });

export class Authenticator {
  private readonly key: Uint8Array | null;
  /** During a rotation: the secret being retired, still accepted (never used to mint). */
  private readonly previous: Uint8Array | null;

  constructor(secret: string | undefined, previousSecret?: string) {
    this.key = secret ? new TextEncoder().encode(secret) : null;
    this.previous = secret && previousSecret ? new TextEncoder().encode(previousSecret) : null;
  }

  get required(): boolean {
    return this.key !== null;
  }

  /** Checks a token: signature (HS256 only), expiry, and the claims' shapes. Never throws. */
  async verify(token: string | undefined): Promise<AuthResult> {
    if (!this.key) return { ok: true, principal: OPEN_PRINCIPAL };
    if (!token) return { ok: false, message: 'token required' };
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] }));
    } catch (err) {
      const badSignature = (err as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
      if (!this.previous || !badSignature) return { ok: false, message: 'invalid or expired token' };
      try {
        ({ payload } = await jwtVerify(token, this.previous, { algorithms: ['HS256'] }));
      } catch {
        return { ok: false, message: 'invalid or expired token' };
      }
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0]!;
      return { ok: false, message: `token claim "${String(issue.path[0])}" ${issue.message}` };
    }
    const { ns, role, sub, caps, sid, exp } = claims.data;
    return { ok: true, principal: { ns, role, sub: sub ?? null, caps: caps ?? null, sid: sid ?? null, exp: exp === undefined ? null : exp * 1000 } };
  }
}

export type HelloGrant = { ok: true; role: Role; sessionId: string | undefined } | { ok: false; message: string };

/**
 * What a hello may do with these claims: ask for a lower role only, take only the token's `sid`
 * (as a new session or by resume), claim only the token's `caps`.
 */
export function grantHello(principal: Principal, hello: Hello): HelloGrant {
  const role = effectiveRole(principal.role, hello.role);
  if (role === null) return { ok: false, message: `hello asked for role "${hello.role}" but the token grants "${principal.role}"` };
  let sessionId = hello.session.id ?? hello.resume?.sessionId;
  if (principal.sid !== null) {
    const asked = [hello.session.id, hello.resume?.sessionId].filter((id) => id !== undefined);
    if (asked.some((id) => id !== principal.sid)) return { ok: false, message: `the token may only take session id "${principal.sid}"` };
    sessionId = principal.sid;
  }
  const denied = deniedCapability(principal, hello.session.capabilities);
  if (denied !== undefined) return { ok: false, message: `the token does not grant capability "${denied}"` };
  return { ok: true, role, sessionId };
}

/** The first capability in `asked` the token does not grant, if any. */
export function deniedCapability(principal: Principal, asked: readonly string[] | undefined): string | undefined {
  if (principal.caps === null || asked === undefined) return undefined;
  return asked.find((cap) => !principal.caps!.includes(cap));
}

/** Whether a listen address is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** Why an open hub (no secret) may not listen on `host`, or null if it may. */
export function openHubRefusal(host: string, secret: string | undefined): string | null {
  if (secret || isLoopback(host)) return null;
  return `refusing to start an open hub on ${host}: without SWITCHBOARD_SECRET anyone who can reach it could join; set SWITCHBOARD_SECRET (16+ chars) or listen on 127.0.0.1`;
}

/**
 * Who a principal acts for across its sessions, for the right to delete what it wrote: its token's
 * `sub`; on an open hub everyone is the same anonymous writer; a token without `sub` has none.
 */
export function ownerOf(principal: Principal): string | null {
  if (principal.sub !== null) return `sub:${principal.sub}`;
  return principal === OPEN_PRINCIPAL ? 'open' : null;
}
