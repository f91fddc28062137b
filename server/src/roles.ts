// What each role may do: the least role a frame type needs. Every frame type must be listed,
// so a new frame cannot ship without someone deciding who may send it.
import type { ClientFrameType, Role } from '@switchboard/protocol';

const NEEDS: Record<ClientFrameType, Role> = {
  hello: 'observer',
  ping: 'observer',
  ack: 'observer',
  bye: 'observer',
  'sessions.list': 'observer',
  'presence.watch': 'observer',
  'presence.unwatch': 'observer',
  'memory.get': 'observer',
  'memory.search': 'observer',
  'memory.watch': 'observer',
  'memory.unwatch': 'observer',
  'lock.list': 'observer',
  'task.get': 'observer',
  'tasks.list': 'observer',
  'tasks.watch': 'observer',
  'tasks.unwatch': 'observer',
  // A task can be handed to any session by id; declining gives it back and writes nothing of one's own.
  'task.decline': 'observer',
  update: 'agent',
  send: 'agent',
  broadcast: 'agent',
  'memory.set': 'agent',
  'memory.delete': 'agent',
  'lock.acquire': 'agent',
  'lock.renew': 'agent',
  'lock.release': 'agent',
  handoff: 'agent',
  'task.accept': 'agent',
  'task.complete': 'agent',
  'task.fail': 'agent',
  'task.cancel': 'agent',
  'session.kick': 'admin',
};

const RANK: Record<Role, number> = { observer: 0, agent: 1, admin: 2 };

/** Whether a session of `role` may send a frame of `type`. */
export function mayUse(role: Role, type: ClientFrameType): boolean {
  return RANK[role] >= RANK[NEEDS[type]];
}

/** The least role that may send `type` (for error messages). */
export function roleNeeded(type: ClientFrameType): Role {
  return NEEDS[type];
}

/** The role a session gets: what the token grants, or less if hello asked for less; null if it asked for more. */
export function effectiveRole(granted: Role, asked: Role | undefined): Role | null {
  if (asked === undefined) return granted;
  return RANK[asked] <= RANK[granted] ? asked : null;
}
