// hub.watchPresence: presence callbacks sharing one presence.watch on the wire, each told the
// list of sessions when it starts and again after every reconnect.
import type { Presence, Session } from '@switchboard/protocol';
import { SharedWatch } from './shared-watch.js';
import type { WatchDeps, WatchOptions } from './shared-watch.js';

export type WatchPresenceOptions = WatchOptions<Session>;

export function presenceWatch(deps: WatchDeps): SharedWatch<Presence, Session> {
  return new SharedWatch<Presence, Session>(deps, {
    arm: async (request) => (await request('presence.watch', {})).sessions,
    snapshot: async (request) => (await request('sessions.list', {})).sessions,
    disarm: (request) => request('presence.unwatch', {}),
  });
}
