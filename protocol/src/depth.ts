// How deep a client frame may nest objects and arrays. The hub serialises what it stores and
// forwards with recursive code (JSON.stringify, structuredClone, Redis cjson, which stops at
// 1000): a value nested a few thousand levels deep would be accepted, stored, and then break every
// answer or event that carries it. JSON.parse itself slows down on deep nesting (hundreds of ms for
// a 1 MiB frame of brackets, against ~15 ms for a flat one). So decode measures the depth on the
// text, before parsing, and refuses a frame that nests too deep without ever parsing it.

/** The deepest nesting a frame may have; the frame object itself is level 1. */
export const MAX_FRAME_DEPTH = 128;

/**
 * Whether the JSON text nests objects and arrays deeper than `max`. A scan of the text: no
 * recursion, no allocation, string contents skipped with indexOf. On text that is not JSON the
 * answer is a guess, which is fine: such a frame is refused either way.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  // Each level needs an opening and a closing bracket.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * The value of the top-level `rid` key of a frame's text if it is a string (the last one, as
 * JSON.parse would keep), without parsing the rest: so a frame refused for its depth can still
 * be answered with its rid.
 */
export function topLevelRid(text: string): string | undefined {
  let depth = 0;
  let rid: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === QUOTE) {
      const end = stringEnd(text, i);
      const colon = skipSpace(text, end + 1);
      if (depth === 1 && text.charCodeAt(colon) === 0x3a && literal(text, i, end) === 'rid') {
        const start = skipSpace(text, colon + 1);
        rid = text.charCodeAt(start) === QUOTE ? literal(text, start, stringEnd(text, start)) : undefined;
      }
      i = end;
    }
  }
  return rid;
}

const QUOTE = 0x22;

/** The index of the quote that closes the string opened at `start` (text.length if none). */
function stringEnd(text: string, start: number): number {
  let end = start;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x0a || text.charCodeAt(i) === 0x0d || text.charCodeAt(i) === 0x09)) i++;
  return i;
}

/** The string a JSON string literal spelled from `start` to `end` (the quotes) holds, if valid. */
function literal(text: string, start: number, end: number): string | undefined {
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return undefined;
  }
}
