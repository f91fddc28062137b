// Task handoff: handoff_task (to a session or a capability), list_tasks, get_task, and what the
// two sides do next — accept_task / decline_task / complete_task / fail_task for the one offered
// the task, cancel_task for its creator.
import { z } from 'zod';
import type { Task } from '@switchboard/client/node';
import type { Bridge } from '../bridge.js';
import { badRequest, defineTool } from '../results.js';
import { JsonAny, TaskShape, TaskState } from '../shapes.js';

const TaskId = z.string().min(1).max(64).describe('the task id (from read_inbox, list_tasks or handoff_task)');
const TaskResult = { task: TaskShape };

const line = (task: Task) => `Task "${task.title}" (${task.id}) is ${task.state}${task.assignee ? `, assignee ${task.assignee}` : task.offeredTo ? `, offered to ${task.offeredTo}` : ''}.`;

export function registerTaskTools(bridge: Bridge): void {
  const { server, hub, desk } = bridge;

  defineTool(server, 'handoff_task', {
    title: 'Hand off a task',
    description:
      'Hands a task to another session: `to` one session id, or `capability` for the least busy session that has it (give exactly one). ' +
      'The offer stands acceptMs (default 30 s) with each candidate; with capability it moves on to the next candidate when declined or not accepted in time. ' +
      'Its changes (accepted, completed with a result, failed, …) arrive in read_inbox as task.update; list_tasks role "created" shows them too.',
    input: {
      to: z.string().min(1).max(64).optional().describe('the session to offer it to'),
      capability: z.string().min(1).max(64).optional().describe('offer it to a session with this capability instead'),
      task: z.object({
        title: z.string().min(1).max(256).describe('what to do, in one line'),
        body: JsonAny.optional().describe('details: any JSON'),
        context: JsonAny.optional().describe('what the assignee needs to know: any JSON'),
      }),
      acceptMs: z.number().int().min(1).max(24 * 3600 * 1000).optional().describe('how long each offer stands (ms)'),
      idempotencyKey: z.string().min(1).max(128).optional().describe('repeating a handoff with the same key returns the first task'),
    },
    output: TaskResult,
    annotations: { openWorldHint: false },
    async run({ to, capability, task: spec, ...options }) {
      if ((to === undefined) === (capability === undefined)) throw badRequest('give exactly one of `to` and `capability`');
      const target = to !== undefined ? { to } : { capability: capability! };
      const handle = await hub.handoff(spec as Parameters<typeof hub.handoff>[0], target, options);
      desk.handedOff(handle);
      return { result: { task: handle.task }, summary: line(handle.task) };
    },
  });

  defineTool(server, 'list_tasks', {
    title: 'List tasks',
    description: 'Tasks this session handed off (role "created") or that it accepted or is offered right now (role "assigned"), optionally only in one state.',
    input: {
      role: z.enum(['created', 'assigned']).describe('"created": handed off by you; "assigned": accepted by or offered to you'),
      state: TaskState.optional(),
    },
    output: { tasks: z.array(TaskShape) },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(filter) {
      const tasks = await hub.tasks(filter);
      return { result: { tasks }, summary: `${tasks.length} task(s)${tasks.length ? `: ${tasks.map((t) => `"${t.title}" ${t.state}`).join(', ')}` : ''}.` };
    },
  });

  defineTool(server, 'get_task', {
    title: 'Get a task',
    description: 'One task by id, as it is now (state, assignee, result or error, history); task is null if there is none.',
    input: { taskId: TaskId },
    output: { task: TaskShape.nullable() },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run({ taskId }) {
      const task = await hub.task(taskId);
      return { result: { task }, summary: task ? line(task) : `No task ${taskId}.` };
    },
  });

  defineTool(server, 'accept_task', {
    title: 'Accept a task',
    description: 'Takes a task offered to you (read_inbox task.offer). Then do it and finish with complete_task or fail_task. Code "conflict" if the offer no longer stands.',
    input: { taskId: TaskId },
    output: TaskResult,
    annotations: { openWorldHint: false },
    async run({ taskId }) {
      const task = await desk.offer(taskId).accept();
      return { result: { task }, summary: line(task) };
    },
  });

  defineTool(server, 'decline_task', {
    title: 'Decline a task',
    description: 'Gives an offered task back: it goes to the next candidate (handed off by capability) or ends as declined.',
    input: { taskId: TaskId, reason: z.string().min(1).max(1024).optional().describe('why, for the creator') },
    output: TaskResult,
    annotations: { openWorldHint: false },
    async run({ taskId, reason }) {
      const task = await desk.offer(taskId).decline(reason);
      return { result: { task }, summary: line(task) };
    },
  });

  defineTool(server, 'complete_task', {
    title: 'Complete a task',
    description: 'Marks a task you accepted as done, with an optional result (any JSON) that its creator receives.',
    input: { taskId: TaskId, result: JsonAny.optional().describe('what came out of it: any JSON') },
    output: TaskResult,
    annotations: { openWorldHint: false },
    async run({ taskId, result }) {
      const task = await desk.offer(taskId).complete(result as Parameters<ReturnType<typeof desk.offer>['complete']>[0]);
      return { result: { task }, summary: line(task) };
    },
  });

  defineTool(server, 'fail_task', {
    title: 'Fail a task',
    description: 'Marks a task you accepted as failed, saying why; its creator receives the error.',
    input: { taskId: TaskId, error: z.string().min(1).max(4096).describe('what went wrong') },
    output: TaskResult,
    annotations: { openWorldHint: false },
    async run({ taskId, error }) {
      const task = await desk.offer(taskId).fail(error);
      return { result: { task }, summary: line(task) };
    },
  });

  defineTool(server, 'cancel_task', {
    title: 'Cancel a task',
    description: 'Cancels a task you handed off that has not ended yet (code "conflict" if it already has).',
    input: { taskId: TaskId },
    output: TaskResult,
    annotations: { destructiveHint: true, openWorldHint: false },
    async run({ taskId }) {
      const task = await desk.handle(taskId).cancel();
      return { result: { task }, summary: line(task) };
    },
  });
}
