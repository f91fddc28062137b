// The command's own session on the hub: joined with `reconnect: false` so a lost hub fails the
// command instead of retrying, and failures to join turned into one line that says what to fix.
import { HubError, connect } from '@switchboard/client/node';
import type { Hub, Session } from '@switchboard/client/node';
import type { Common } from './args.js';
import { CliError, UsageError } from './errors.js';

/** Joins the hub as `common.name` (agentType 'cli'); the caller must close() it, which says bye. */
export async function openSession(common: Common): Promise<Hub> {
  try {
    return await connect({
      url: common.url,
      ...(common.token !== undefined && { token: common.token }),
      session: { name: common.name, agentType: 'cli', user: common.user, ...(common.id !== undefined && { id: common.id }) },
      reconnect: false,
      connectTimeoutMs: common.timeoutMs,
      requestTimeoutMs: common.timeoutMs,
      closeTimeoutMs: 2000,
    });
  } catch (err) {
    throw joinError(err, common);
  }
}

function joinError(err: unknown, common: Common): Error {
  if (err instanceof TypeError) return new UsageError(err.message);
  if (!(err instanceof HubError)) return err as Error;
  const reason = err.message.replace(/^connection closed \(\d+\):?\s*/, '');
  switch (err.code) {
    case 'unauthorized':
      return new CliError(
        `unauthorized by ${common.url}: ${reason || 'token refused'}${common.token === undefined ? ' (pass --token or set SWITCHBOARD_TOKEN)' : ''}`,
      );
    case 'timeout':
      return new CliError(`cannot reach ${common.url}: no answer within ${common.timeoutMs} ms`);
    case 'unavailable':
      return new CliError(`cannot reach ${common.url}: ${socketProblem(err) ?? (reason || 'connection failed')}`);
    case 'conflict':
      return new CliError(`conflict: session id "${common.id}" is in use on ${common.url} (another command, or one that did not say bye and is still away)`);
    default:
      return new CliError(`${common.url} refused this session: ${err.code}: ${reason}`);
  }
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

// `ws` reports why a socket never opened as an error event whose `error` carries a Node code.
function socketProblem(err: HubError): string | undefined {
  const cause = err.cause as { error?: { code?: unknown; message?: unknown }; message?: unknown } | undefined;
  const code = cause?.error?.code;
  if (typeof code === 'string' && SOCKET_ERRORS[code]) return SOCKET_ERRORS[code];
  const message = typeof cause?.message === 'string' ? cause.message : undefined;
  const status = message?.match(/Unexpected server response: (\d+)/)?.[1];
  if (status) return `HTTP ${status} instead of a WebSocket (is this a Switchboard hub, and is the path /v1?)`;
  return message;
}

/**
 * The session `to` names: a session id, or the name of exactly one live (not away) session.
 * The command's own session is never a match.
 */
export async function resolveSession(hub: Hub, to: string): Promise<Session> {
  const sessions = (await hub.sessions()).filter((s) => s.id !== hub.id);
  const byId = sessions.find((s) => s.id === to);
  if (byId) return byId;
  const named = sessions.filter((s) => s.name === to && s.status !== 'away');
  if (named.length === 1) return named[0]!;
  if (named.length === 0) throw new CliError(`not found: no session has the id or live name "${to}" (see switchboard sessions)`);
  throw new CliError(`ambiguous: ${named.length} live sessions are named "${to}" (${named.map((s) => s.id).join(', ')}); pass an id`);
}
