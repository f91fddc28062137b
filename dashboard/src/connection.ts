// The dashboard's session on the hub: the WebSocket URL from the page's own location, the token
// (from ?token= or the form, kept in sessionStorage), connecting as an observer, and starting
// over when the SDK gives up (a refused token, or the session ended). Reconnects within a
// session are the SDK's job; this only shows them.
import { connect, HubError } from '@switchboard/client';
import type { Hub, HubState } from '@switchboard/client';
import { byId, setText } from './dom.js';
import { OBSERVER_TYPE } from './sessions.js';

const TOKEN_KEY = 'switchboard.token';
const RETRY_MS = [1000, 2000, 5000, 10_000];

/** ws(s)://<this host>/v1: the hub serves this page on the same port as its WebSocket. */
export function hubUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/v1`;
}

/** A `?token=` in the address moves to sessionStorage and out of the address bar (and history). */
function adoptUrlToken(): void {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url);
}

type Shown = HubState | 'offline' | 'locked';

const LABELS: Record<Shown, string> = {
  connecting: 'connecting…',
  connected: 'live',
  reconnecting: 'reconnecting…',
  closed: 'disconnected',
  offline: 'hub unreachable, retrying…',
  locked: 'token needed',
};

/**
 * Keeps one observer session connected and calls `onHub` with every new Hub (the first, and a
 * fresh one after the SDK gave up on the previous).
 */
export function keepConnected(onHub: (hub: Hub) => Promise<void>): void {
  const dialog = byId<HTMLDialogElement>('token-dialog');
  const form = byId<HTMLFormElement>('token-form');
  const input = byId<HTMLInputElement>('token-input');
  const error = byId('token-error');
  let failures = 0;

  const show = (state: Shown, detail?: string, node?: string) => {
    const conn = byId('conn');
    conn.dataset.state = state;
    setText(byId('conn-text'), state === 'connected' && node ? `${LABELS[state]} · ${node}` : LABELS[state]);
    conn.title = detail ?? (node ? `connected to hub node ${node}` : '');
  };

  const askForToken = (problem?: string) => {
    show('locked');
    error.hidden = !problem;
    setText(error, problem ?? '');
    if (!dialog.open) dialog.showModal();
    input.focus();
  };

  const retry = (detail: string) => {
    show('offline', detail);
    setTimeout(start, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    setText(error, '');
    error.hidden = true;
    void start();
  });
  // The page is useless without a session, so Escape does not dismiss the form.
  dialog.addEventListener('cancel', (event) => event.preventDefault());

  let connecting = false;

  async function start(): Promise<void> {
    if (connecting) return;
    connecting = true;
    const token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
    show('connecting');
    let hub: Hub;
    try {
      hub = await connect({
        url: hubUrl(),
        ...(token && { token }),
        role: 'observer',
        session: { name: 'dashboard', agentType: OBSERVER_TYPE, status: 'idle', meta: { observer: true } },
      });
    } catch (err) {
      connecting = false;
      if (err instanceof HubError && err.code === 'unauthorized') {
        // Forget a refused token, so a reload asks afresh instead of sending it again.
        sessionStorage.removeItem(TOKEN_KEY);
        return askForToken(token ? 'The hub refused this token. Check it and try again.' : undefined);
      }
      return retry(err instanceof Error ? err.message : String(err));
    }
    connecting = false;
    failures = 0;
    if (dialog.open) dialog.close();
    input.value = '';
    show(hub.state, undefined, hub.node);
    hub.on('state', ({ newState, error: why }) => {
      if (newState !== 'closed') return show(newState, why?.message, hub.node);
      if (why?.code === 'unauthorized') {
        sessionStorage.removeItem(TOKEN_KEY);
        return askForToken('The hub no longer accepts this token.');
      }
      retry(why?.message ?? 'the session ended');
    });
    try {
      await onHub(hub);
    } catch (err) {
      // A watch that failed leaves the page half-live: end this session and start a clean one.
      // (The state listener above starts over once it is closed.)
      console.error('dashboard: setting up the session failed', err);
      await hub.close();
    }
  }

  adoptUrlToken();
  void start();
}
