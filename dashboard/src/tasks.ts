// The task board: every task of the namespace by state, from a task watch (hub.watchTasks): the
// snapshot (open tasks and the most recently ended ones) when it starts and after each reconnect,
// then every change of any task, which also goes to the feed. Versions of one task are ordered by
// the length of its history. The dashboard is an observer: an offer made to it is declined at once,
// so the task moves on (capability) or its creator learns at once (`to`).
import { TaskState, WATCH_ENDED_TASKS, isTerminal } from '@switchboard/protocol';
import type { Hub, OfferedTask, Task } from '@switchboard/client';
import { ago, fill, h, setText } from './dom.js';
import type { FeedItem } from './feed.js';
import { hubNow } from './ticker.js';

/** Why the dashboard gives back every offer made to it. */
export const DECLINE_REASON = 'an observer: takes no tasks';

/** Always shown; the other states get a column once a task is in them. */
const MAIN_STATES: ReadonlySet<TaskState> = new Set(['offered', 'accepted', 'completed', 'failed']);

interface Card {
  task: Task;
  el: HTMLLIElement;
  ago: HTMLElement;
}

export class TasksView {
  readonly #cards = new Map<string, Card>();
  readonly #board: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #name: (id: string) => string;
  readonly #onFeed: (item: FeedItem) => void;

  constructor(root: HTMLElement, summary: HTMLElement, name: (id: string) => string, onFeed: (item: FeedItem) => void) {
    this.#summary = summary;
    this.#name = name;
    this.#onFeed = onFeed;
    this.#board = h('div', { class: 'board' });
    root.replaceChildren(this.#board);
    this.#render();
  }

  /** Starts following every task of `hub`'s namespace; resolves once the current ones are shown. */
  async attach(hub: Hub): Promise<void> {
    hub.on('task', (offer) => void this.#decline(offer));
    await hub.watchTasks((task) => this.#update(task, true), { onSnapshot: (tasks) => this.#snapshot(tasks) });
  }

  tick(now = hubNow()): void {
    for (const card of this.#cards.values()) setText(card.ago, ago(now - card.task.updatedAt));
  }

  // An offer would stand with this session until its acceptMs passed, holding up the task; give
  // it back at once. The watch shows the result like any other change.
  async #decline(offer: OfferedTask): Promise<void> {
    try {
      await offer.decline(DECLINE_REASON);
    } catch (err) {
      console.warn('dashboard: declining a task offer failed', err);
    }
  }

  /** The watch's snapshot (at start and after a reconnect): what it no longer lists goes. */
  #snapshot(tasks: Task[]): void {
    const listed = new Set(tasks.map((t) => t.id));
    for (const id of this.#cards.keys()) if (!listed.has(id)) this.#cards.delete(id);
    for (const task of tasks) this.#apply(task, false);
    this.#render();
  }

  #update(task: Task, live: boolean): void {
    if (this.#apply(task, live)) this.#render();
  }

  /** Takes a newer version of a task (by history length); false when it was not newer. */
  #apply(task: Task, live: boolean): boolean {
    const known = this.#cards.get(task.id);
    if (known && known.task.history.length >= task.history.length) return false;
    if (live) this.#onFeed(feedItem(task, this.#name));
    const el = known?.el ?? h('li', { class: 'task-card', 'data-task-id': task.id });
    const card: Card = { task, el, ago: el };
    this.#fill(card);
    this.#cards.set(task.id, card);
    return true;
  }

  #fill(card: Card): void {
    const t = card.task;
    const target = t.to ? this.#name(t.to) : t.capability ? `anyone with ${t.capability}` : '';
    const holder = t.assignee ?? t.offeredTo;
    card.ago = h('span', { class: 'ago' }, ago(hubNow() - t.updatedAt));
    card.el.dataset.state = t.state;
    fill(card.el,
      h('div', { class: 'title' }, t.title),
      h('div', { class: 'meta' }, `${this.#name(t.from)} → ${target}`),
      holder && h('div', { class: 'meta' }, `${t.state === 'offered' ? 'offered to' : 'held by'} ${this.#name(holder)}`),
      h('div', { class: 'meta' }, t.attempts > 1 ? `attempt ${t.attempts} · ` : '', card.ago),
      t.error && h('div', { class: 'error' }, t.error),
    );
  }

  #render(): void {
    // Like the hub's snapshot, keep the most recently ended tasks only.
    const ended = [...this.#cards.values()].filter((c) => isTerminal(c.task.state)).sort((a, b) => b.task.updatedAt - a.task.updatedAt);
    for (const card of ended.slice(WATCH_ENDED_TASKS)) this.#cards.delete(card.task.id);
    const byState = new Map<TaskState, Card[]>();
    for (const card of this.#cards.values()) {
      const list = byState.get(card.task.state) ?? [];
      list.push(card);
      byState.set(card.task.state, list);
    }
    const columns = TaskState.options
      .filter((state) => MAIN_STATES.has(state) || byState.has(state))
      .map((state) => {
        const cards = (byState.get(state) ?? []).sort((a, b) => b.task.updatedAt - a.task.updatedAt);
        return h('section', { class: 'column', 'data-state': state },
          h('h3', {}, h('span', { class: 'dot' }), state, h('span', { class: 'count' }, String(cards.length))),
          cards.length ? h('ul', { class: 'task-list' }, ...cards.map((c) => c.el)) : h('p', { class: 'none' }, 'none'));
      });
    this.#board.replaceChildren(...columns);
    const open = [...this.#cards.values()].filter((c) => c.task.state === 'offered' || c.task.state === 'accepted').length;
    setText(this.#summary, `${this.#cards.size} shown · ${open} open`);
  }
}

function feedItem(task: Task, name: (id: string) => string): FeedItem {
  const last = task.history.at(-1);
  return {
    kind: 'task',
    ts: last?.at ?? task.updatedAt,
    actor: last ? name(last.by) : name(task.from),
    text: `task “${task.title}” ${task.state}${last?.reason ? ` (${last.reason.replace(/_/g, ' ')})` : ''}`,
    tag: task.state,
  };
}
