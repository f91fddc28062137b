// The sessions table: every session of the namespace grouped by status, kept from the presence
// snapshot plus presence events applied as upserts (a join may repeat a snapshot entry, so a
// join of a known id is an update). Observers (other dashboards, this one included) are counted,
// not listed, so watching the hub does not change what it shows.
import type { Presence, Session, SessionStatus } from '@switchboard/client';
import { duration, fill, flash, h, setText } from './dom.js';
import { hubNow } from './ticker.js';

/** The agentType every dashboard page connects with; such sessions are observers. */
export const OBSERVER_TYPE = 'dashboard';

const GROUPS: ReadonlyArray<{ status: SessionStatus; label: string }> = [
  { status: 'working', label: 'Working' },
  { status: 'active', label: 'Active' },
  { status: 'idle', label: 'Idle' },
  { status: 'away', label: 'Away' },
];

/** What the feed is told about agents coming and going. */
export interface PresenceNote {
  event: 'join' | 'leave' | 'away' | 'back';
  session: Session;
  reason?: string;
}

interface Row {
  el: HTMLLIElement;
  session: Session;
  online: HTMLElement;
}

interface Group {
  section: HTMLElement;
  list: HTMLUListElement;
  count: HTMLElement;
}

export function isObserver(session: Session): boolean {
  return session.agentType === OBSERVER_TYPE;
}

export class SessionsView {
  readonly #rows = new Map<string, Row>();
  readonly #observers = new Set<string>();
  readonly #groups = new Map<SessionStatus, Group>();
  /** Names of every session seen, departed ones too, so the feed and memory can say who. */
  readonly #names = new Map<string, string>();
  readonly #root: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #head: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #onNote: (note: PresenceNote) => void;

  constructor(root: HTMLElement, summary: HTMLElement, onNote: (note: PresenceNote) => void) {
    this.#root = root;
    this.#summary = summary;
    this.#onNote = onNote;
    this.#empty = h('p', { class: 'empty' }, 'No agents online. Sessions appear here the moment they connect.');
    this.#head = h('div', { class: 'session-head', 'aria-hidden': 'true' },
      h('span', {}, 'Agent'), h('span', {}, 'Current task'), h('span', {}, 'Capabilities'), h('span', {}, 'Online for'));
    root.replaceChildren(this.#empty, this.#head);
    for (const { status, label } of GROUPS) {
      const count = h('span', { class: 'count' }, '0');
      const list = h('ul', { class: 'session-list' });
      const section = h('section', { class: 'group', 'data-group': status, hidden: true },
        h('h3', { class: 'group-title' }, h('span', { class: `dot ${status}` }), label, count),
        list);
      root.appendChild(section);
      this.#groups.set(status, { section, list, count });
    }
    this.#render();
  }

  /** The display name of a session id (also after it left), or the id itself. */
  name(id: string): string {
    return this.#names.get(id) ?? id;
  }

  /** Replaces everything with the hub's list (on watch and after every reconnect). */
  snapshot(sessions: Session[]): void {
    const seen = new Set(sessions.map((s) => s.id));
    for (const id of [...this.#rows.keys()]) if (!seen.has(id)) this.#remove(id);
    this.#observers.clear();
    for (const session of sessions) this.#upsert(session, false);
    this.#render();
  }

  apply(frame: Presence): void {
    const { session } = frame;
    if (frame.event === 'leave') {
      const known = this.#rows.get(session.id);
      if (known) this.#onNote({ event: 'leave', session, ...(frame.reason && { reason: frame.reason }) });
      this.#remove(session.id);
      this.#observers.delete(session.id);
    } else {
      const before = this.#rows.get(session.id)?.session;
      this.#upsert(session, true);
      if (!isObserver(session)) {
        if (!before) this.#onNote({ event: 'join', session });
        else if (session.status === 'away' && before.status !== 'away') this.#onNote({ event: 'away', session, ...(frame.reason && { reason: frame.reason }) });
        else if (before.status === 'away' && session.status !== 'away') this.#onNote({ event: 'back', session });
      }
    }
    this.#render();
  }

  /** Moves every "online for" forward; called once a second. */
  tick(now = hubNow()): void {
    for (const row of this.#rows.values()) setText(row.online, onlineText(row.session, now));
  }

  #upsert(session: Session, highlight: boolean): void {
    this.#names.set(session.id, session.name);
    if (isObserver(session)) {
      this.#observers.add(session.id);
      return;
    }
    let row = this.#rows.get(session.id);
    if (!row) {
      const el = h('li', { class: 'session' });
      row = { el, session, online: el };
      this.#rows.set(session.id, row);
    }
    row.session = session;
    this.#fillRow(row);
    if (highlight) flash(row.el);
  }

  #remove(id: string): void {
    this.#rows.get(id)?.el.remove();
    this.#rows.delete(id);
  }

  #fillRow(row: Row): void {
    const s = row.session;
    const where = [s.user, s.location].filter(Boolean).join(' · ');
    row.online = h('span', { class: 'online', title: `connected ${new Date(s.connectedAt).toLocaleString()}` }, onlineText(s, hubNow()));
    row.el.dataset.sessionId = s.id;
    row.el.dataset.status = s.status;
    fill(row.el,
      h('div', { class: 'who' },
        h('span', { class: `dot ${s.status}`, title: s.status }),
        h('div', { class: 'ident' },
          h('span', { class: 'name', title: s.id }, s.name),
          s.agentType && h('span', { class: 'chip type' }, s.agentType),
          where && h('span', { class: 'where' }, where))),
      s.task ? h('div', { class: 'task' }, s.task) : h('div', { class: 'task none' }, 'no task'),
      h('div', { class: 'caps' }, ...s.capabilities.map((c) => h('span', { class: 'chip' }, c))),
      h('div', { class: 'when' }, row.online, h('span', { class: 'node', title: 'hub node' }, s.node)),
    );
  }

  #render(): void {
    for (const { status } of GROUPS) {
      const group = this.#groups.get(status)!;
      const rows = [...this.#rows.values()]
        .filter((r) => r.session.status === status)
        .sort((a, b) => a.session.name.localeCompare(b.session.name) || a.session.id.localeCompare(b.session.id));
      // appendChild moves a row that is elsewhere, so this also regroups rows whose status changed.
      rows.forEach((row, i) => {
        if (group.list.children[i] !== row.el) group.list.insertBefore(row.el, group.list.children[i] ?? null);
      });
      setText(group.count, String(rows.length));
      group.section.hidden = rows.length === 0;
    }
    this.#empty.hidden = this.#rows.size > 0;
    this.#head.hidden = this.#rows.size === 0;
    // Which hub node holds a session only tells something when there are several.
    const nodes = new Set([...this.#rows.values()].map((r) => r.session.node));
    this.#root.classList.toggle('many-nodes', nodes.size > 1);
    const agents = this.#rows.size;
    const observers = this.#observers.size;
    setText(this.#summary, `${agents} agent${agents === 1 ? '' : 's'}${observers ? ` · ${observers} watching` : ''}`);
  }
}

function onlineText(session: Session, now: number): string {
  if (session.status === 'away') return `away ${duration(now - session.lastSeen)}`;
  return duration(now - session.connectedAt);
}
