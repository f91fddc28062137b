// Ids for messages, sessions and tasks: ULID-compatible (26 chars of Crockford base32, 48-bit
// millisecond time first, so they sort by time) and strictly increasing within one process.
// The `ulid` package's monotonic factory draws fresh crypto randomness whenever the millisecond
// changes; on the send path that was a few per cent of a hub's CPU. Here the 80 random bits are
// 40 drawn once per process (which keeps two nodes apart) and a 40-bit counter that starts at a
// random value and goes up by one per id (which keeps one node's ids apart and in order).
import { randomBytes } from 'node:crypto';

const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const COUNTER_LIMIT = 2 ** 40;

export function monotonicIds(): () => string {
  let prefix = '';
  let counter = 0;
  let lastTime = -1;
  let timePart = '';
  const reseed = () => {
    const bytes = randomBytes(10);
    prefix = encode(bytes.readUIntBE(0, 5), 8);
    // Start in the lower half, so the counter has at least 2^39 ids to go before a reseed.
    counter = bytes.readUIntBE(5, 5) % (COUNTER_LIMIT / 2);
  };
  reseed();
  return () => {
    // A clock that steps back keeps the last time: ids stay in order.
    const now = Date.now();
    if (now > lastTime) {
      lastTime = now;
      timePart = encode(now, 10);
    }
    if (++counter >= COUNTER_LIMIT) {
      // Never in practice (2^39 ids); a fresh prefix is still unique, and the next millisecond restores order.
      reseed();
    }
    return timePart + prefix + encodeCounter(counter);
  };
}

/** Two base32 digits for each 10-bit value: the counter is four lookups, not eight divisions. */
const PAIRS = Array.from({ length: 1024 }, (_, i) => ENCODING[i >> 5]! + ENCODING[i & 31]!);

function encodeCounter(n: number): string {
  const high = Math.floor(n / 2 ** 20);
  const low = n % 2 ** 20;
  return PAIRS[high >> 10]! + PAIRS[high & 1023]! + PAIRS[low >> 10]! + PAIRS[low & 1023]!;
}

/** `value` (a non-negative integer below 2^53) as `length` base32 digits, most significant first. */
function encode(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const digit = value % 32;
    out = ENCODING[digit] + out;
    value = (value - digit) / 32;
  }
  return out;
}
