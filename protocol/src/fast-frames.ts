// A hand-written check for the two frames every message brings in (`send` and `ack`), tried
// before zod. It only ever accepts: a frame it does not recognise as plainly valid (an unknown
// key, a field of the wrong type, anything at a boundary it does not check) goes on to zod,
// which accepts or rejects it with its own error. So decoding accepts and rejects exactly what
// the schemas do (test/protocol/fast-frames.test.ts checks that on generated frames).
import type { ClientFrame } from './client-frames.js';

const SESSION_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MESSAGE_KINDS = new Set(['message', 'request', 'response', 'notification', 'sync']);

/** `obj` (a parsed JSON object) as a frame if it is a plainly valid `send` or `ack`; otherwise null. */
export function fastClientFrame(obj: Record<string, unknown>): ClientFrame | null {
  if (obj.type === 'send') return isSend(obj) ? (obj as ClientFrame) : null;
  if (obj.type === 'ack') return isAck(obj) ? (obj as ClientFrame) : null;
  return null;
}

function isSend(obj: Record<string, unknown>): boolean {
  let fields = 0;
  for (const key in obj) {
    fields++;
    const v = obj[key];
    switch (key) {
      case 'type':
        continue;
      case 'to':
        if (typeof v !== 'string' || !SESSION_ID.test(v)) return false;
        continue;
      case 'body':
        continue;
      case 'rid':
      case 'replyTo':
      case 'thread':
        if (!isString(v, 64)) return false;
        continue;
      case 'kind':
        if (typeof v !== 'string' || !MESSAGE_KINDS.has(v)) return false;
        continue;
      case 'idempotencyKey':
        if (!isString(v, 128)) return false;
        continue;
      default:
        // Zod would strip an unknown key: leave that (and its answer) to zod.
        return false;
    }
  }
  return fields >= 3 && 'to' in obj && 'body' in obj && Object.keys(obj).length === fields;
}

function isAck(obj: Record<string, unknown>): boolean {
  const keys = Object.keys(obj);
  if (keys.length !== 2 || !('seq' in obj)) return false;
  const seq = obj.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1;
}

function isString(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}
