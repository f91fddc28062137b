// `switchboard send` and `switchboard broadcast`: one message, to a session or to many.
import { Capability, MessageKind } from '@switchboard/protocol';
import { checked, jsonOrString, oneOf, positionals, str } from './args.js';
import { command } from './command.js';
import { resolveSession } from './session.js';

const BODY_HELP = `BODY is sent as JSON when it parses as JSON ('{"a":1}', 42, true, '"quoted"'), otherwise as the
string itself. A BODY that starts with "-" goes after "--": switchboard send bob -- -1`;

export const send = command({
  help: `Usage: switchboard send TO BODY [--kind K] [--json]

Sends one direct message. TO is a session id, or a session name when exactly one live session has
that name. ${BODY_HELP}
Prints the message id; --json prints the hub's answer {"msgId", "seq", "queued"?}. A session that is
away (its socket dropped, resumable) gets the message when it resumes ("queued").

Options:
  --kind <k>           ${MessageKind.options.join(', ')} (default message)`,
  options: { kind: { type: 'string' } },
  parse(parsed) {
    const [to, body] = positionals(parsed, ['to', 'body']);
    return { to: to!, body: jsonOrString(body!), kind: oneOf(parsed.values, 'kind', MessageKind.options) };
  },
  async run(hub, { to, body, kind }, { out }) {
    const target = await resolveSession(hub, to);
    const result = await hub.send(target.id, body, kind ? { kind } : {});
    if (out.json) return out.value(result);
    out.line(`sent ${result.msgId} to ${target.name} (${target.id})${result.queued ? `, queued: ${target.name} is away` : ''}`);
  },
});

export const broadcast = command({
  help: `Usage: switchboard broadcast BODY [--capability C] [--kind K] [--json]

Sends one message to every other session, or with --capability to those that have it.
${BODY_HELP}
Prints the message id and how many sessions got it; --json prints {"msgId", "recipients"}.

Options:
  --capability <c>     only sessions with this capability
  --kind <k>           ${MessageKind.options.join(', ')} (default message)`,
  options: { capability: { type: 'string' }, kind: { type: 'string' } },
  parse(parsed) {
    const [body] = positionals(parsed, ['body']);
    const capability = str(parsed.values, 'capability');
    return {
      body: jsonOrString(body!),
      kind: oneOf(parsed.values, 'kind', MessageKind.options),
      capability: capability === undefined ? undefined : checked(Capability, capability, '--capability'),
    };
  },
  async run(hub, { body, kind, capability }, { out }) {
    const result = await hub.broadcast(body, { ...(kind && { kind }), ...(capability !== undefined && { capability }) });
    if (out.json) return out.value(result);
    const to = `${result.recipients} session${result.recipients === 1 ? '' : 's'}`;
    out.line(`broadcast ${result.msgId} to ${to}${capability !== undefined ? ` with capability "${capability}"` : ''}`);
  },
});
