// The memory browser: a search over the shared memory (prefix, kind, text) whose results stay
// live through one watch of every key. A change applies only if it is newer than what the row
// shows, so a search answer and the changes racing it settle on the latest version.
import { EntryKind } from '@switchboard/protocol';
import type { Entry, Hub, MemoryChanged } from '@switchboard/client';
import { ago, clock, fill, flash, h, pretty, preview, setText } from './dom.js';
import { hubNow } from './ticker.js';

interface Query {
  prefix: string;
  text: string;
  kind: EntryKind | '';
}

interface Row {
  entry: Entry;
  el: HTMLLIElement;
  ago: HTMLElement;
}

const PAGE = 100;

export class MemoryView {
  readonly #rows = new Map<string, Row>();
  readonly #list: HTMLUListElement;
  readonly #status: HTMLElement;
  readonly #more: HTMLButtonElement;
  readonly #name: (id: string) => string;
  #hub: Hub | null = null;
  #query: Query = { prefix: '', text: '', kind: '' };
  #cursor: string | null = null;
  /** Changes that arrive while a search is in flight, applied on top of its answer. */
  #racing: MemoryChanged[] | null = null;
  #searchId = 0;
  #debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement, name: (id: string) => string) {
    this.#name = name;
    const text = h('input', { type: 'search', name: 'text', placeholder: 'Search keys and values', 'aria-label': 'Search text', autocomplete: 'off' });
    const prefix = h('input', { type: 'search', name: 'prefix', placeholder: 'Key prefix, e.g. plan/', 'aria-label': 'Key prefix', autocomplete: 'off', spellcheck: 'false' });
    const kind = h('select', { name: 'kind', 'aria-label': 'Entry kind' },
      h('option', { value: '' }, 'any kind'), ...EntryKind.options.map((k) => h('option', { value: k }, k)));
    const form = h('form', { class: 'memory-search', role: 'search' }, text, prefix, kind);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#setQuery(read(), 0);
    });
    const read = (): Query => ({ text: text.value.trim(), prefix: prefix.value.trim(), kind: kind.value as Query['kind'] });
    form.addEventListener('input', () => this.#setQuery(read(), 200));
    this.#status = h('p', { class: 'memory-status', role: 'status' });
    this.#list = h('ul', { class: 'entry-list' });
    this.#more = h('button', { type: 'button', class: 'more', hidden: true }, 'Load more');
    this.#more.addEventListener('click', () => void this.#search(true));
    root.replaceChildren(form, this.#status, this.#list, this.#more);
  }

  /** Starts watching `hub`'s memory and shows the current search; resolves with the unwatch. */
  async attach(hub: Hub): Promise<() => void> {
    this.#hub = hub;
    const unwatch = await hub.memory.watch('', (frame) => this.#change(frame));
    await this.#search(false);
    return unwatch;
  }

  /** Searches again (after a reconnect: changes made while offline are not replayed). */
  refresh(): void {
    void this.#search(false);
  }

  tick(now = hubNow()): void {
    for (const row of this.#rows.values()) setText(row.ago, ago(now - row.entry.updatedAt));
  }

  #setQuery(query: Query, delayMs: number): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#query = query;
      void this.#search(false);
    }, delayMs);
  }

  async #search(more: boolean): Promise<void> {
    const hub = this.#hub;
    if (!hub) return;
    const id = ++this.#searchId;
    const { prefix, text, kind } = this.#query;
    this.#racing = [];
    setText(this.#status, 'Searching…');
    try {
      const page = await hub.memory.search({
        limit: PAGE,
        ...(prefix && { prefix }),
        ...(text && { text }),
        ...(kind && { kind }),
        ...(more && this.#cursor && { cursor: this.#cursor }),
      });
      if (id !== this.#searchId) return;
      if (!more) this.#clear();
      this.#cursor = page.cursor;
      for (const entry of page.entries) this.#upsert(entry, false);
      const racing = this.#racing;
      this.#racing = null;
      for (const frame of racing) this.#apply(frame);
      this.#renderStatus();
    } catch (err) {
      if (id !== this.#searchId) return;
      this.#racing = null;
      setText(this.#status, `Search failed: ${(err as Error).message}`);
    }
  }

  #change(frame: MemoryChanged): void {
    if (this.#racing) this.#racing.push(frame);
    else this.#apply(frame);
    this.#renderStatus();
  }

  #apply(frame: MemoryChanged): void {
    const row = this.#rows.get(frame.key);
    if (frame.op !== 'set' || !frame.entry) {
      if (row && row.entry.version <= frame.version) this.#remove(frame.key);
      return;
    }
    if (row && row.entry.version >= frame.entry.version) return;
    if (!this.#matches(frame.entry)) {
      if (row) this.#remove(frame.key);
      return;
    }
    // Past the loaded page the next "Load more" brings it, in order.
    if (!row && this.#cursor !== null && frame.key > this.#cursor) return;
    this.#upsert(frame.entry, true);
  }

  /** The hub's search rule (server/src/engine/search.ts), for entries that change while shown. */
  #matches(entry: Entry): boolean {
    const { prefix, text, kind } = this.#query;
    if (prefix && !entry.key.startsWith(prefix)) return false;
    if (kind && entry.kind !== kind) return false;
    if (!text) return true;
    const needle = text.toLowerCase();
    return entry.key.toLowerCase().includes(needle) || JSON.stringify(entry.value).toLowerCase().includes(needle);
  }

  #upsert(entry: Entry, highlight: boolean): void {
    let row = this.#rows.get(entry.key);
    if (!row) {
      const el = h('li', { class: 'entry', 'data-key': entry.key });
      row = { entry, el, ago: el };
      this.#rows.set(entry.key, row);
      this.#insertSorted(row);
    }
    row.entry = entry;
    this.#fill(row);
    if (highlight) flash(row.el);
  }

  #insertSorted(row: Row): void {
    const after = [...this.#rows.values()].filter((r) => r !== row && r.entry.key > row.entry.key && r.el.isConnected);
    const next = after.sort((a, b) => (a.entry.key < b.entry.key ? -1 : 1))[0];
    this.#list.insertBefore(row.el, next?.el ?? null);
  }

  #fill(row: Row): void {
    const e = row.entry;
    row.ago = h('span', { class: 'ago', title: new Date(e.updatedAt).toLocaleString() }, ago(hubNow() - e.updatedAt));
    const short = preview(e.value, 200);
    const full = short.endsWith('…') ? pretty(e.value) : short;
    row.el.dataset.version = String(e.version);
    fill(row.el,
      h('div', { class: 'entry-head' },
        h('code', { class: 'key' }, e.key),
        h('span', { class: `chip kind kind-${e.kind}` }, e.kind),
        ...e.tags.map((t) => h('span', { class: 'tag' }, `#${t}`)),
        h('span', { class: 'entry-meta' },
          `v${e.version} · `, h('span', { class: 'author', title: e.author }, this.#name(e.author)), ' · ', row.ago,
          e.expiresAt !== null && h('span', { class: 'ttl' }, ` · expires ${clock(e.expiresAt)}`))),
      short === full
        ? h('pre', { class: 'value' }, short)
        : h('details', { class: 'value' }, h('summary', {}, short), h('pre', {}, full)),
    );
  }

  #remove(key: string): void {
    this.#rows.get(key)?.el.remove();
    this.#rows.delete(key);
  }

  #clear(): void {
    this.#rows.clear();
    this.#list.replaceChildren();
  }

  #renderStatus(): void {
    const n = this.#rows.size;
    const filtered = this.#query.prefix || this.#query.text || this.#query.kind;
    const what = n === 0 ? (filtered ? 'No entries match.' : 'Memory is empty. Entries appear here as agents write them.') : `${n}${this.#cursor ? '+' : ''} entr${n === 1 ? 'y' : 'ies'}${filtered ? ' match' : ''} · live`;
    setText(this.#status, what);
    this.#more.hidden = this.#cursor === null;
  }
}
