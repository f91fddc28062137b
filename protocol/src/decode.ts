// The one decode path for client frames: text in, a typed frame or an error (as data) out.
// It never throws on any input.
import type { z } from 'zod';
import { ClientFrame } from './client-frames.js';
import type { ClientFrameType } from './client-frames.js';
import type { ErrorCode } from './codes.js';
import { MAX_FRAME_DEPTH, nestsDeeperThan, topLevelRid } from './depth.js';
import { fastClientFrame } from './fast-frames.js';
import { Rid } from './shapes.js';

export type Decoded =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: Extract<ErrorCode, 'bad_request' | 'unknown_type'>; message: string; rid?: string };

const schemaByType = new Map<string, z.ZodType<ClientFrame>>(
  ClientFrame.options.map((schema) => [schema.shape.type.value, schema as z.ZodType<ClientFrame>]),
);

export const CLIENT_FRAME_TYPES = [...schemaByType.keys()] as ClientFrameType[];

export function decodeClientFrame(text: string): Decoded {
  // Before JSON.parse, which is slow on deep nesting (depth.ts).
  if (nestsDeeperThan(text, MAX_FRAME_DEPTH)) {
    return withRid({ ok: false, code: 'bad_request', message: `frame nests deeper than ${MAX_FRAME_DEPTH} levels` }, validRid(topLevelRid(text)));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_request', message: 'frame is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, code: 'bad_request', message: 'frame must be a JSON object' };
  }
  const obj = raw as Record<string, unknown>;
  const rid = validRid(obj.rid);
  if (typeof obj.type !== 'string') {
    return withRid({ ok: false, code: 'bad_request', message: 'frame has no string "type"' }, rid);
  }
  // send and ack, the frames of every message: a cheaper check first, which only ever accepts.
  const fast = fastClientFrame(obj);
  if (fast) return { ok: true, frame: fast };
  const schema = schemaByType.get(obj.type);
  if (!schema) {
    return withRid({ ok: false, code: 'unknown_type', message: `unknown frame type "${obj.type.slice(0, 64)}"` }, rid);
  }
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return withRid({ ok: false, code: 'bad_request', message: `${obj.type}: ${where}${issue?.message ?? 'invalid'}` }, rid);
  }
  return { ok: true, frame: parsed.data };
}

/**
 * The rid a refusal echoes: the same rule as the schemas' Rid (zod counts characters, not UTF-16
 * units), so a rid that an `ok` would carry is carried by an `error` too.
 */
function validRid(rid: unknown): string | undefined {
  if (typeof rid !== 'string' || rid.length === 0) return undefined;
  return rid.length <= 64 || Rid.safeParse(rid).success ? rid : undefined;
}

function withRid(d: Extract<Decoded, { ok: false }>, rid: string | undefined): Decoded {
  return rid === undefined ? d : { ...d, rid };
}
