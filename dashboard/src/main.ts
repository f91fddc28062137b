// The dashboard page: connects as an observer session and wires the hub's events to the views —
// presence to the sessions table, messages and task changes (a watch of every task of the
// namespace) to the feed and the task board, memory to the browser.
import './no-eval.js';
import type { Hub, Message } from '@switchboard/client';
import './style.css';
import { keepConnected } from './connection.js';
import { byId } from './dom.js';
import { FeedView } from './feed.js';
import type { FeedItem } from './feed.js';
import { MemoryView } from './memory.js';
import { SessionsView } from './sessions.js';
import type { PresenceNote } from './sessions.js';
import { TasksView } from './tasks.js';
import { everySecond, hubNow, syncClock } from './ticker.js';

const feed = new FeedView(byId('feed'));
const sessions = new SessionsView(byId('sessions'), byId('sessions-summary'), (note) => feed.add(presenceItem(note)));
const memory = new MemoryView(byId('memory'), (id) => sessions.name(id));
const tasks = new TasksView(byId('tasks'), byId('tasks-summary'), (id) => sessions.name(id), (item) => feed.add(item));

everySecond((now) => {
  sessions.tick(now);
  memory.tick(now);
  tasks.tick(now);
});

keepConnected(async (hub: Hub) => {
  syncClock(hub.session.connectedAt);
  hub.on('welcome', (welcome) => {
    syncClock(welcome.session.connectedAt);
    // The presence and task watches send a fresh snapshot by themselves; memory changes made
    // while we were offline are not replayed, so search again.
    memory.refresh();
  });
  hub.on('message', (message) => feed.add(messageItem(message)));
  await hub.watchPresence((frame) => sessions.apply(frame), { onSnapshot: (list) => sessions.snapshot(list) });
  await Promise.all([memory.attach(hub), tasks.attach(hub)]);
});

function messageItem(message: Message): FeedItem {
  return {
    kind: message.broadcast ? 'broadcast' : 'message',
    ts: message.ts,
    actor: sessions.name(message.from),
    text: message.broadcast ? 'broadcast' : 'sent this dashboard',
    tag: message.kind,
    body: message.body,
  };
}

function presenceItem(note: PresenceNote): FeedItem {
  const { session } = note;
  const text = { join: 'joined', leave: 'left', away: 'went away', back: 'is back' }[note.event];
  return {
    kind: 'presence',
    ts: note.event === 'join' ? session.connectedAt : hubNow(),
    actor: session.name,
    text: session.task && note.event === 'join' ? `${text} · ${session.task}` : text,
    ...(note.reason && { tag: note.reason }),
  };
}
