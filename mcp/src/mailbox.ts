// What read_inbox and the switchboard://inbox resource show: the unread items split by what they
// are (messages; task offers and updates), each in the protocol's own shape.
import type { Message, Task } from '@switchboard/client/node';
import { z } from 'zod';
import { MessageShape, TaskShape } from './shapes.js';

/** A task offered to this session, or a change of a task it handed off (the protocol's frames, without seq). */
export type TaskEvent = {
  type: 'task.offer' | 'task.update';
  task: Task;
};

/** One unread thing the hub delivered to this session. */
export type InboxItem = Message | TaskEvent;

export const TaskEventShape = z.looseObject({ type: z.enum(['task.offer', 'task.update']), task: TaskShape });

export const INBOX_OUTPUT = {
  messages: z.array(MessageShape).describe('direct messages and broadcasts, oldest first'),
  tasks: z.array(TaskEventShape).describe('task.offer: a task offered to you (accept_task or decline_task); task.update: a task you handed off changed'),
  dropped: z.number().describe('items lost because the inbox buffer was full since the last read'),
  remaining: z.number().describe('unread items left (when limit cut the read short)'),
};

export interface InboxView {
  messages: Message[];
  tasks: TaskEvent[];
  dropped: number;
  remaining: number;
}

export function inboxView(items: InboxItem[], dropped: number, remaining: number): InboxView {
  const messages: Message[] = [];
  const tasks: TaskEvent[] = [];
  for (const item of items) {
    if (item.type === 'message') messages.push(item);
    else tasks.push(item);
  }
  return { messages, tasks, dropped, remaining };
}

/** One line for people: how many of what, and from whom. */
export function inboxSummary(view: InboxView): string {
  const parts: string[] = [];
  if (view.messages.length) {
    const from = [...new Set(view.messages.map((m) => m.from))].join(', ');
    parts.push(`${view.messages.length} message(s) from ${from}`);
  }
  for (const { type, task } of view.tasks) {
    parts.push(type === 'task.offer' ? `task offered: "${task.title}" (${task.id})` : `task "${task.title}" (${task.id}) is ${task.state}`);
  }
  if (view.dropped) parts.push(`${view.dropped} dropped (inbox full)`);
  if (view.remaining) parts.push(`${view.remaining} more unread`);
  return parts.length ? `${parts.join('; ')}.` : 'Nothing new.';
}
