// The feed: what happens on the hub, newest first — broadcasts and messages this dashboard
// receives, task updates, and agents joining, going away and leaving. Capped, so a busy hub
// cannot grow the page without end.
import { clock, h, pretty, preview } from './dom.js';

export type FeedKind = 'broadcast' | 'message' | 'task' | 'presence' | 'system';

export interface FeedItem {
  kind: FeedKind;
  /** Hub time of the event. */
  ts: number;
  /** Who or what it is about, shown first and bold. */
  actor: string;
  /** The rest of the line. */
  text: string;
  /** A short label (message kind, task state, leave reason). */
  tag?: string;
  /** A JSON body, shown as a one-line preview that expands. */
  body?: unknown;
}

const MAX_ITEMS = 200;

export class FeedView {
  readonly #list: HTMLOListElement;
  readonly #empty: HTMLElement;

  constructor(root: HTMLElement) {
    this.#list = h('ol', { class: 'feed-list' });
    this.#empty = h('p', { class: 'empty' }, 'Nothing yet. Broadcasts, task updates and agents coming and going show up here.');
    root.replaceChildren(this.#empty, this.#list);
  }

  add(item: FeedItem): void {
    const time = h('time', { datetime: new Date(item.ts).toISOString() }, clock(item.ts));
    const line = h('div', { class: 'feed-line' },
      h('span', { class: 'actor' }, item.actor), ' ', h('span', { class: 'text' }, item.text),
      item.tag && h('span', { class: `chip tag-${item.tag}` }, item.tag));
    const el = h('li', { class: `feed-item ${item.kind}`, 'data-feed': item.kind }, time, line);
    if (item.body !== undefined) el.appendChild(bodyView(item.body));
    this.#list.prepend(el);
    while (this.#list.children.length > MAX_ITEMS) this.#list.lastElementChild!.remove();
    this.#empty.hidden = true;
  }
}

/** A body on one line; one too long for that opens to the full, pretty-printed value. */
function bodyView(body: unknown): HTMLElement {
  const short = preview(body, 140);
  if (!short.endsWith('…')) return h('pre', { class: 'body' }, short);
  const full = pretty(body);
  return h('details', { class: 'body' }, h('summary', {}, short), h('pre', {}, full));
}
