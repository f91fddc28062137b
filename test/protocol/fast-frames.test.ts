// The fast path for `send` and `ack` (protocol/src/fast-frames.ts) against zod, on generated
// frames, valid and broken: decoding must accept and reject exactly what the schemas do, with the
// same frame out and the same error (code, message, rid) back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ack, ClientFrame, Send, decodeClientFrame } from '@switchboard/protocol';
import type { Decoded } from '@switchboard/protocol';
import { fastClientFrame } from '../../protocol/src/fast-frames.js';

/** decodeClientFrame as it is without the fast path: JSON, then zod alone (the reference). */
function zodDecode(text: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_request', message: 'frame is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, code: 'bad_request', message: 'frame must be a JSON object' };
  const obj = raw as Record<string, unknown>;
  const rid = typeof obj.rid === 'string' && obj.rid.length > 0 && obj.rid.length <= 64 ? obj.rid : undefined;
  const withRid = (d: Extract<Decoded, { ok: false }>): Decoded => (rid === undefined ? d : { ...d, rid });
  if (typeof obj.type !== 'string') return withRid({ ok: false, code: 'bad_request', message: 'frame has no string "type"' });
  const schema = ClientFrame.options.find((s) => s.shape.type.value === obj.type);
  if (!schema) return withRid({ ok: false, code: 'unknown_type', message: `unknown frame type "${obj.type.slice(0, 64)}"` });
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return withRid({ ok: false, code: 'bad_request', message: `${obj.type}: ${where}${issue?.message ?? 'invalid'}` });
  }
  return { ok: true, frame: parsed.data as ClientFrame };
}

const idChars = fc.constantFrom(...'abcXYZ019._-'.split(''));
const sessionId = fc.string({ unit: idChars, minLength: 1, maxLength: 64 });
const text = (min: number, max: number) => fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }).filter((s) => s.length >= min && s.length <= max);
const kind = fc.constantFrom('message', 'request', 'response', 'notification', 'sync');

/** Plainly valid sends: the fast path must take every one of these. */
const validSend = fc.record(
  {
    type: fc.constant('send'),
    rid: text(1, 64),
    to: sessionId,
    body: fc.jsonValue(),
    kind,
    replyTo: text(1, 64),
    thread: text(1, 64),
    idempotencyKey: text(1, 128),
  },
  { requiredKeys: ['type', 'to', 'body'] },
);
const validAck = fc.record({ type: fc.constant('ack'), seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) });

/** Values that sit on or past the edges of what the schemas allow. */
const edgy = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom('', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(128), 'x'.repeat(129), 'a b', 'ü', 'message', 'shout', '1', '__proto__'),
  fc.constantFrom(0, -1, 1, 1.5, -0, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e300, null, true, false, [], {}),
  fc.double(),
  fc.integer(),
);
const fieldName = fc.constantFrom('type', 'rid', 'to', 'body', 'kind', 'replyTo', 'thread', 'idempotencyKey', 'seq', 'extra', '__proto__', 'constructor');

/** A frame with one to three of its fields replaced by edge values, removed, or added. */
const broken = fc
  .tuple(fc.oneof(validSend, validAck), fc.array(fc.tuple(fieldName, fc.option(edgy, { nil: undefined })), { minLength: 1, maxLength: 3 }))
  .map(([frame, edits]) => {
    const out: Record<string, unknown> = { ...frame };
    for (const [key, value] of edits) {
      if (value === undefined) delete out[key];
      else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  });

const frameText = fc.oneof(
  fc.oneof(validSend, validAck, broken).map((f) => JSON.stringify(f)),
  // Texts JSON.stringify would not write: numbers past the range of a double, duplicate keys, odd spellings.
  fc.constantFrom(
    '{"type":"ack","seq":1e400}',
    '{"type":"ack","seq":1.0}',
    '{"type":"ack","seq":-0}',
    '{"type":"ack","seq":1,"seq":0}',
    '{"type":"ack","seq":"1"}',
    '{"type":"send","to":"b","body":1,"to":"not ok"}',
    '{"type":"send","to":"b"}',
    '{"type":"send","to":"b","body":null,"rid":""}',
    '{"type":"send","to":"b","body":{"__proto__":{"x":1}}}',
    '{"__proto__":{"type":"ack"},"type":"ack","seq":2}',
    '[{"type":"ack","seq":1}]',
    '{"type":"ack","seq":1',
  ),
);

describe('the send/ack fast path against zod', () => {
  it('takes every plainly valid send and ack, giving what zod gives', () => {
    fc.assert(
      fc.property(fc.oneof(validSend, validAck), (frame) => {
        const obj = JSON.parse(JSON.stringify(frame)) as Record<string, unknown>;
        const fast = fastClientFrame(obj);
        expect(fast).not.toBeNull();
        const schema = obj.type === 'send' ? Send : Ack;
        expect(fast).toEqual(schema.parse(obj));
      }),
      { numRuns: 1000 },
    );
  });

  it('never accepts what zod rejects, nor gives a different frame', () => {
    fc.assert(
      fc.property(broken, (frame) => {
        const obj = JSON.parse(JSON.stringify(frame)) as Record<string, unknown>;
        const fast = fastClientFrame(obj);
        if (fast === null) return;
        const schema = obj.type === 'send' ? Send : Ack;
        const parsed = schema.safeParse(obj);
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes every text exactly as zod alone does: same frame, or same code, message and rid', () => {
    fc.assert(
      fc.property(frameText, (t) => {
        expect(decodeClientFrame(t)).toEqual(zodDecode(t));
      }),
      { numRuns: 2000 },
    );
  });
});
