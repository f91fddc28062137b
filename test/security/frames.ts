// Arbitraries for the fuzz test: a valid frame of every client frame type (checked against the
// protocol's own decode), then the same frames broken one way at a time (a field dropped, the
// wrong type, huge numbers, deep nesting, long and odd unicode strings, __proto__/constructor
// keys written into the JSON text, unknown fields, duplicated keys), plus text that is not a
// frame at all and binary messages. `hello` and `bye` are left out: on a live session they are
// refused or end it; the fuzz test covers them on their own.
import fc from 'fast-check';
import {
  CLIENT_FRAME_TYPES, EntryKind, MAX_FRAME_DEPTH, MAX_LOCK_TTL_MS, MessageKind, SessionStatus, TaskRole, TaskState,
} from '@switchboard/protocol';

/** One thing to put on the socket, and how it was made (for failure messages). */
export interface FuzzFrame {
  data: string | Buffer;
  binary: boolean;
  how: string;
}

/** What the generators may aim at: ids of live sessions, so sends and handoffs reach someone. */
export interface FuzzTargets {
  sessionIds: string[];
  /** Ids a session.kick may name (not the bystander's). */
  kickable: string[];
}

type Obj = Record<string, unknown>;

/** JSON text of `depth` nested arrays or objects. */
export function nested(depth: number, shape: 'array' | 'object' = 'array'): string {
  return shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A value written into the JSON text as is (numbers JSON.stringify cannot make, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}

function render(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Raw ? `\u0001raw${raws.push(v.text) - 1}\u0001` : v));
  return raws.length === 0 ? text : text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

// ---- valid fields ------------------------------------------------------------------------------

const rid = fc.nat({ max: 1e6 }).map((n) => `r${n.toString(36)}`);
// Code points of the whole range (lone surrogates too); 24 of them stay within every field's limit.
const text = (min: number, max: number) => fc.string({ minLength: min, maxLength: Math.min(max, 24), unit: 'binary' });
const idChars = fc.stringMatching(/^[A-Za-z0-9._-]{1,16}$/);
const key = fc.constantFrom('k', 'a/b', 'fuzz:1', 'x.y-z', 'deep/key/path');
const prefix = fc.constantFrom('', 'a', 'a/', 'fuzz:', 'x.y', 'nothing/');
const lockName = fc.constantFrom('L1', 'locks/a', 'b:c');
const taskId = fc.oneof(fc.constantFrom('t1', '01JZZZZZZZZZZZZZZZZZZZZZZZ'), idChars);
// JSON values and metas come from pools sampled once (with a fixed seed): drawing a fresh
// fc.jsonValue for every frame would cost more than everything else the fuzz does per frame.
const json = fc.constantFrom(...fc.sample(fc.jsonValue({ maxDepth: 3 }), { seed: 7, numRuns: 500 }));
const meta = fc.constantFrom(...fc.sample(fc.dictionary(fc.string({ maxLength: 64 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { seed: 8, numRuns: 200 }));
const capability = fc.constantFrom('plan', 'review', 'fuzz', 'x');
const status = fc.constantFrom(...SessionStatus.options);

function validFrames(t: FuzzTargets): Record<string, fc.Arbitrary<Obj>> {
  const to = fc.oneof(fc.constantFrom(...t.sessionIds), idChars);
  const kickTarget = fc.oneof(fc.constantFrom(...t.kickable, 'nobody'), idChars);
  const req = (type: string, fields: Record<string, fc.Arbitrary<unknown>> = {}, required: string[] = []) =>
    fc.record({ type: fc.constant(type), rid, ...fields }, { requiredKeys: ['type', 'rid', ...required] as never[] }) as fc.Arbitrary<Obj>;
  const reqNoRid = (type: string, fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) =>
    fc.record({ type: fc.constant(type), rid, ...fields }, { requiredKeys: ['type', ...required] as never[] }) as fc.Arbitrary<Obj>;
  return {
    ping: reqNoRid('ping', {}),
    update: reqNoRid('update', { status, task: fc.option(text(0, 4096), { nil: null }), capabilities: fc.array(capability, { maxLength: 4 }), meta }),
    'sessions.list': req('sessions.list', { capability, status }),
    'presence.watch': req('presence.watch'),
    'presence.unwatch': req('presence.unwatch'),
    send: reqNoRid('send', { to, body: json, kind: fc.constantFrom(...MessageKind.options), replyTo: idChars, thread: idChars, idempotencyKey: idChars }, ['to', 'body']),
    ack: fc.record({ type: fc.constant('ack'), seq: fc.integer({ min: 1, max: 1000 }) }),
    broadcast: reqNoRid('broadcast', { body: json, kind: fc.constantFrom(...MessageKind.options), capability }, ['body']),
    'memory.set': req('memory.set', {
      key, value: json, kind: fc.constantFrom(...EntryKind.options), tags: fc.array(capability, { maxLength: 3 }),
      ttlMs: fc.integer({ min: 1, max: 60_000 }), ifVersion: fc.integer({ min: 0, max: 5 }),
      fence: fc.record({ name: lockName, value: fc.integer({ min: 1, max: 5 }) }),
    }, ['key', 'value']),
    'memory.get': req('memory.get', { key }, ['key']),
    'memory.delete': req('memory.delete', { key, ifVersion: fc.integer({ min: 0, max: 5 }) }, ['key']),
    'memory.search': req('memory.search', {
      prefix, kind: fc.constantFrom(...EntryKind.options), tags: fc.array(capability, { maxLength: 2 }), text: text(1, 256),
      limit: fc.integer({ min: 1, max: 1000 }), cursor: fc.option(text(0, 512), { nil: null }),
    }),
    'memory.watch': req('memory.watch', { prefix }, ['prefix']),
    'memory.unwatch': req('memory.unwatch', { prefix }, ['prefix']),
    'session.kick': req('session.kick', { sessionId: kickTarget }, ['sessionId']),
    // `wait` stays short: a request that waits for a lock held elsewhere is answered only later.
    'lock.acquire': req('lock.acquire', { name: lockName, ttlMs: fc.integer({ min: 1, max: MAX_LOCK_TTL_MS }), wait: fc.constantFrom(false, 0, 5) }, ['name', 'ttlMs']),
    'lock.renew': req('lock.renew', { name: lockName, token: text(1, 128), ttlMs: fc.integer({ min: 1, max: 60_000 }) }, ['name', 'token', 'ttlMs']),
    'lock.release': req('lock.release', { name: lockName, token: text(1, 128) }, ['name', 'token']),
    'lock.list': req('lock.list', { prefix }),
    handoff: fc
      .tuple(
        req('handoff', {
          task: fc.record({ title: text(1, 256), body: json, context: json }, { requiredKeys: ['title'] }),
          // Short, so offers expire and the open tasks (which every tasks.watch lists) stay few.
          acceptMs: fc.integer({ min: 1, max: 5000 }),
          idempotencyKey: idChars,
        }, ['task']),
        fc.oneof(to.map((id) => ({ to: id })), capability.map((c) => ({ capability: c }))),
      )
      .map(([frame, target]) => ({ ...frame, ...target })),
    'task.accept': req('task.accept', { taskId }, ['taskId']),
    'task.decline': req('task.decline', { taskId, reason: text(1, 1024) }, ['taskId']),
    'task.complete': req('task.complete', { taskId, result: json }, ['taskId']),
    'task.fail': req('task.fail', { taskId, error: text(1, 4096) }, ['taskId', 'error']),
    'task.cancel': req('task.cancel', { taskId }, ['taskId']),
    'task.get': req('task.get', { taskId }, ['taskId']),
    'tasks.list': req('tasks.list', { role: fc.constantFrom(...TaskRole.options), state: fc.constantFrom(...TaskState.options) }, ['role']),
    'tasks.watch': req('tasks.watch'),
    'tasks.unwatch': req('tasks.unwatch'),
  };
}

/** The bulk's frame types: every client frame type but hello and bye. */
export const FUZZ_TYPES = CLIENT_FRAME_TYPES.filter((type) => type !== 'hello' && type !== 'bye');

/** A valid frame of each FUZZ_TYPES type; a type this file does not know yet gets `{type, rid}`. */
export function validFrame(targets: FuzzTargets): { byType: Record<string, fc.Arbitrary<Obj>>; unknown: string[] } {
  const known = validFrames(targets);
  const unknown = FUZZ_TYPES.filter((type) => !known[type]);
  const byType = Object.fromEntries(FUZZ_TYPES.map((type) => [type, known[type] ?? fc.record({ type: fc.constant(type), rid })]));
  return { byType, unknown };
}

// ---- broken values -----------------------------------------------------------------------------

const HUGE_NUMBERS: unknown[] = [
  1e308, -1e308, -0, 2 ** 53 + 1, 2 ** 53, -(2 ** 53 + 1), 0.5, -1, 0, 1e-308, Number.MAX_VALUE, Number.MIN_VALUE,
  new Raw('1e999'), new Raw('-1e999'), new Raw('-0'), new Raw('123456789012345678901234567890'), new Raw('1E+2'),
];
const UNICODE = [
  '\ud800', '\udfff', 'a\ud83d', '\udc00x', '\u202eevil\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd', 'مرحبا', '👩‍👩‍👧‍👦', '🏳️‍🌈',
  '\u0000', 'a\u0000b', 'e\u0301', '\ufeff', '\uffff', '\u2028\u2029', 'Ω≈ç√', '𝕏', '"\\', '</script>', '%s%n',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const PROTO_VALUES = [
  '{"polluted":true,"rid":"pp","type":"ping","isAdmin":true}', '{"prototype":{"polluted":true}}', 'null', '"x"', '[]', '1',
];
const wrongType = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, '', 'x', '1', [], {}, [1, 2], { a: 1 }, ['ping'], { type: 'ping' }),
  fc.constantFrom(...HUGE_NUMBERS),
  fc.constantFrom(...UNICODE),
  json,
);
// Around the field limits, and past maxValueBytes; past maxFrameBytes only now and then, since
// such a frame ends the socket.
const longString = fc
  .tuple(
    fc.oneof(
      { weight: 400, arbitrary: fc.constantFrom(63, 64, 65, 127, 128, 129, 255, 256, 257, 512, 513, 1024, 1025, 4095, 4096, 4097, 8193, 17_000) },
      { weight: 1, arbitrary: fc.constant(70_000) },
    ),
    fc.constantFrom('x', 'é', '😀', '\u0000', 'ab'),
  )
  // JSON spells NUL as \u0000 (6 bytes): keep those short enough to stay under maxFrameBytes.
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, unit === '\u0000' ? Math.min(n, 4097) : n));
// Around the limit mostly; far past it now and then. (Much deeper frames are slow to JSON.parse,
// for the test as for any client; the fuzz test sends a few of those on their own.)
const deep = fc
  .tuple(
    fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(MAX_FRAME_DEPTH - 3, MAX_FRAME_DEPTH - 2, MAX_FRAME_DEPTH, MAX_FRAME_DEPTH + 1, 200) },
      { weight: 1, arbitrary: fc.constantFrom(1000, 2000) },
    ),
    fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
  )
  // 20 000 levels of objects would pass maxFrameBytes; arrays of that depth stay under it.
  .map(([depth, shape]) => ({ depth, raw: new Raw(nested(shape === 'object' ? Math.min(depth, 5000) : depth, shape)) }));
const junkType = fc.oneof(
  fc.constantFrom<unknown>('PING', 'ping ', ' ping', 'memory.SET', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'type', null, 1, ['ping'], { ping: 1 }),
  fc.constantFrom(...FUZZ_TYPES),
  fc.string({ maxLength: 70 }),
);
const junkRid = fc.constantFrom<unknown>('', 'r'.repeat(64), 'r'.repeat(65), 1, null, ['r'], { r: 1 }, '\ud800', '👩‍👩‍👧‍👦', '\u0000', '__proto__');

/** The objects of a frame a key could be added to: the frame itself and the objects inside it. */
function containers(frame: Obj): Obj[] {
  const found: Obj[] = [frame];
  for (const value of Object.values(frame)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Raw)) found.push(...containers(value as Obj));
  }
  return found;
}

function defineOwn(target: Obj, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/** A mutation: what it needs drawn besides the frame, and how it breaks the frame with it. */
interface Mutation<T> {
  weight: number;
  draw: fc.Arbitrary<T>;
  apply: (frame: Obj, drawn: T) => { frame: Obj; how: string; text?: (t: string) => string };
}
const mutation = <T>(m: Mutation<T>) => m as Mutation<unknown>;

/** The key at `n` (wrapping), so a mutation can pick a field without fc.chain. */
const keyAt = (frame: Obj, n: number, skip?: string) => {
  const keys = Object.keys(frame).filter((k) => k !== skip);
  return keys[n % keys.length]!;
};

const mutations: Array<Mutation<unknown>> = [
  mutation({ weight: 3, draw: fc.nat(), apply: (f, n) => ({ frame: without(f, keyAt(f, n)), how: `drop ${keyAt(f, n)}` }) }),
  mutation({ weight: 4, draw: fc.tuple(fc.nat(), wrongType), apply: (f, [n, v]) => ({ frame: { ...f, [keyAt(f, n)]: v }, how: `${keyAt(f, n)} = wrong type` }) }),
  mutation({ weight: 2, draw: fc.tuple(fc.nat(), fc.constantFrom(...HUGE_NUMBERS)), apply: (f, [n, v]) => ({ frame: { ...f, [keyAt(f, n)]: v }, how: `${keyAt(f, n)} = number` }) }),
  mutation({
    weight: 2,
    draw: fc.tuple(fc.nat(), fc.constantFrom('body', 'value', 'meta', 'result', 'task', 'extra', ''), deep),
    apply: (f, [n, field, { depth, raw }]) => {
      const k = field || keyAt(f, n);
      const into = k === 'meta' ? { x: raw } : k === 'task' ? { title: 't', context: raw } : raw;
      return { frame: { ...f, [k]: into }, how: `${k} nested ${depth} deep` };
    },
  }),
  mutation({ weight: 2, draw: fc.tuple(fc.nat(), longString), apply: (f, [n, v]) => ({ frame: { ...f, [keyAt(f, n)]: v }, how: `${keyAt(f, n)} = ${v.length} chars` }) }),
  mutation({
    weight: 2,
    draw: fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...UNICODE), fc.string({ unit: 'binary', maxLength: 40 }))),
    apply: (f, [n, v]) => ({ frame: { ...f, [keyAt(f, n)]: v }, how: `${keyAt(f, n)} = unicode` }),
  }),
  mutation({
    weight: 3,
    draw: fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.constantFrom(...PROTO_VALUES), fc.nat()),
    apply: (f, [name, value, n]) => {
      const copy = copyOf(f);
      const targets = containers(copy);
      defineOwn(targets[n % targets.length]!, name, new Raw(value));
      return { frame: copy, how: `${name} key` };
    },
  }),
  mutation({ weight: 2, draw: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), json, { minKeys: 1, maxKeys: 3 }), apply: (f, extra) => ({ frame: { ...extra, ...f }, how: 'extra fields' }) }),
  mutation({ weight: 2, draw: junkType, apply: (f, type) => ({ frame: { ...f, type }, how: `type = ${JSON.stringify(type)?.slice(0, 30)}` }) }),
  mutation({ weight: 2, draw: junkRid, apply: (f, rid) => ({ frame: { ...f, rid }, how: 'rid = junk' }) }),
  mutation({
    weight: 2,
    draw: fc.tuple(fc.nat(), wrongType, fc.boolean()),
    apply: (f, [n, v, first]) => {
      // Never a second `wait`: a lock wait must stay short.
      const k = keyAt(f, n, 'wait');
      return {
        frame: f,
        how: `duplicate ${k} (${first ? 'first' : 'last'} wins)`,
        // Put first, the frame's own value wins; put last, the duplicate wins.
        text: (t: string) => (first ? `{${JSON.stringify(k)}:${render(v)},${t.slice(1)}` : `${t.slice(0, -1)},${JSON.stringify(k)}:${render(v)}}`),
      };
    },
  }),
];

function without(frame: Obj, name: string): Obj {
  const { [name]: _dropped, ...rest } = frame;
  return rest;
}

/** A deep copy (of a valid frame, which holds no Raw yet). */
function copyOf(frame: Obj): Obj {
  return JSON.parse(render(frame)) as Obj;
}

/** Never put `wait: true` or a long wait on the wire: its answer would come only when the lock frees. */
function shortWaits(frame: Obj): Obj {
  const wait = frame.wait;
  return wait === true || (typeof wait === 'number' && wait > 20) ? { ...frame, wait: false } : frame;
}

function asText(valid: fc.Arbitrary<Obj>, type: string): fc.Arbitrary<FuzzFrame> {
  const mutated = fc.oneof(
    ...mutations.map(({ weight, draw, apply }) => ({
      weight,
      arbitrary: fc.tuple(valid, draw).map(([valid, drawn]) => {
        const { frame, how, text } = apply(valid, drawn);
        const base = render(shortWaits(frame));
        return { data: text ? text(base) : base, binary: false, how: `${type}: ${how}` };
      }),
    })),
  );
  return fc.oneof({ weight: 1, arbitrary: valid.map((f) => ({ data: render(f), binary: false, how: `${type}: valid` })) }, { weight: 5, arbitrary: mutated });
}

/** Text that is not a frame, JSON that is not an object, and binary messages. */
const notAFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  fc.string({ maxLength: 200, unit: 'binary' }).map((s) => ({ data: s, binary: false, how: 'random text' })),
  fc.constantFrom('', ' ', 'null', 'true', '42', '"ping"', '[]', '[{"type":"ping","rid":"arr"}]', '1e999', 'NaN', '{', '}', '{"type":"ping",}',
    "{'type':'ping'}", '\ufeff{"type":"ping","rid":"bom"}', '{"type":"ping"}garbage', '{"type":"ping"} {"type":"ping"}', '{"type":"ping","rid":"x"\u0000}', 'undefined')
    .map((s) => ({ data: s, binary: false, how: `not a frame: ${JSON.stringify(s)}` })),
  json.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => ({ data: JSON.stringify(v), binary: false, how: 'JSON, not an object' })),
  fc.tuple(fc.constantFrom('{"type":"ping","rid":"bin"}', '{"type":"memory.get","rid":"bin","key":"k"}'), fc.uint8Array({ maxLength: 64 }), fc.boolean())
    .map(([json, bytes, valid]) => ({ data: valid ? Buffer.from(json) : Buffer.from(bytes), binary: true, how: 'binary message' })),
);

/** Cuts a valid frame's text short: JSON that ends in the middle. */
const truncated = (valid: fc.Arbitrary<Obj>) =>
  fc.tuple(valid, fc.nat()).map(([frame, n]) => {
    const text = render(frame);
    return { data: text.slice(0, 1 + (n % Math.max(1, text.length - 1))), binary: false, how: 'truncated JSON' };
  });

/** The bulk: every frame type, valid and broken, plus non-frames. */
export function fuzzFrame(targets: FuzzTargets): fc.Arbitrary<FuzzFrame> {
  const { byType } = validFrame(targets);
  const perType = Object.entries(byType).map(([type, valid]) => asText(valid, type));
  const anyValid = fc.oneof(...Object.values(byType));
  return fc.oneof({ weight: 17, arbitrary: fc.oneof(...perType) }, { weight: 2, arbitrary: notAFrame }, { weight: 1, arbitrary: truncated(anyValid) });
}
