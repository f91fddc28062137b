// Lua scripts for locks: every grant, renewal, release, expiry and cancelled wait is one script,
// so the token check, the fence increment, the FIFO hand-over to the next waiter and its
// notification happen together. Times come from the Redis clock (TIME), so nodes whose clocks
// disagree still agree on when a lock expires.
//
// Every script gets the same first six ARGV (key prefixes of the namespace, see LockKeys) and
// KEYS[1] = the namespace's expiry zset; scripts about one lock also get KEYS[2..4] = its hash,
// fence counter and waiter queue, and ARGV[7] = its name. Keys built from the prefixes (the
// holder's held set, a waiter's session) carry the same {ns} hash tag, so they are in the slot.
//
// A waiter in a queue is the string "token session deadline ttlMs" (deadline 0 = none); tokens
// are base64url and session ids [A-Za-z0-9._-], so neither holds a space.

const prelude = `
local P = { lock = ARGV[1], fence = ARGV[2], queue = ARGV[3], held = ARGV[4], sess = ARGV[5], channel = ARGV[6], expiries = KEYS[1] }
-- The hash outlives its expiresAt by this much, so the script that frees it still knows the holder.
local GRACE = 60000

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function int(n) return string.format('%d', n) end

local function lock_of(name)
  return { name = name, lock = P.lock .. name, fence = P.fence .. name, queue = P.queue .. name }
end

local function parse_waiter(w)
  local token, sid, deadline, ttl = string.match(w, '^(%S+) (%S+) (%d+) (%d+)$')
  return token, sid, tonumber(deadline), tonumber(ttl)
end

-- Still waiting: its wait has not ended and its session is registered.
local function waiting(sid, deadline, now)
  return (deadline == 0 or deadline > now) and redis.call('EXISTS', P.sess .. sid) == 1
end

local function take(L, holder, token, ttl, now)
  local fence = redis.call('INCR', L.fence)
  local expires = now + ttl
  redis.call('HSET', L.lock, 'holder', holder, 'token', token, 'fence', fence, 'expiresAt', int(expires))
  redis.call('PEXPIRE', L.lock, ttl + GRACE)
  redis.call('ZADD', P.expiries, int(expires), L.name)
  redis.call('SADD', P.held .. holder, L.name)
  return fence, expires
end

local function free(L)
  local holder = redis.call('HGET', L.lock, 'holder')
  if holder then redis.call('SREM', P.held .. holder, L.name) end
  redis.call('DEL', L.lock)
  redis.call('ZREM', P.expiries, L.name)
end

-- FIFO: pops waiters until one is still waiting, grants it the lock and tells its node.
local function grant_next(L, now)
  while true do
    local w = redis.call('LPOP', L.queue)
    if not w then return end
    local token, sid, deadline, ttl = parse_waiter(w)
    if token and waiting(sid, deadline, now) then
      local fence, expires = take(L, sid, token, ttl, now)
      redis.call('PUBLISH', P.channel, '{"k":"l","t":"' .. token .. '","n":"' .. L.name .. '","f":' .. int(fence) .. ',"x":' .. int(expires) .. '}')
      return
    end
  end
end

-- Brings a lock up to date: frees it if its time is up, hands a free lock to the next waiter.
-- True when the lock is held afterwards.
local function settle(L, now)
  local expires = redis.call('HGET', L.lock, 'expiresAt')
  if expires and tonumber(expires) > now then return true end
  if expires then free(L) else redis.call('ZREM', P.expiries, L.name) end
  grant_next(L, now)
  return redis.call('EXISTS', L.lock) == 1
end
`;

const one = `local L = { name = ARGV[7], lock = KEYS[2], fence = KEYS[3], queue = KEYS[4] }\n`;

/** ARGV[8..11]: holder, token, ttlMs, wait (-1 = no, 0 = until granted, else ms). {1, fence, expiresAt} | {0} held | {2, entry} queued. */
const acquire = `${prelude}${one}
local now = now_ms()
if not settle(L, now) then
  local fence, expires = take(L, ARGV[8], ARGV[9], tonumber(ARGV[10]), now)
  return {1, fence, expires}
end
local wait = tonumber(ARGV[11])
if wait < 0 then return {0} end
local deadline = 0
if wait > 0 then deadline = now + wait end
local entry = ARGV[9] .. ' ' .. ARGV[8] .. ' ' .. int(deadline) .. ' ' .. ARGV[10]
redis.call('RPUSH', L.queue, entry)
return {2, entry}
`;

/** ARGV[8..9]: token, ttlMs. {1, fence, expiresAt} | {0} held by another token | {-1} not held. */
const renew = `${prelude}${one}
local now = now_ms()
if not settle(L, now) then return {-1} end
local cur = redis.call('HMGET', L.lock, 'token', 'fence')
if cur[1] ~= ARGV[8] then return {0} end
local ttl = tonumber(ARGV[9])
local expires = now + ttl
redis.call('HSET', L.lock, 'expiresAt', int(expires))
redis.call('PEXPIRE', L.lock, ttl + GRACE)
redis.call('ZADD', P.expiries, int(expires), L.name)
return {1, tonumber(cur[2]), expires}
`;

/** ARGV[8]: token. 1 released | 0 the token does not hold it. */
const release = `${prelude}${one}
local now = now_ms()
if not settle(L, now) then return 0 end
if redis.call('HGET', L.lock, 'token') ~= ARGV[8] then return 0 end
free(L)
grant_next(L, now)
return 1
`;

/**
 * ARGV[8..9]: token, queue entry. Ends a wait: {0} taken out of the queue | {1, fence, expiresAt}
 * it was granted meanwhile | {-1} neither (it was skipped: its wait ended or its session left).
 */
const cancel = `${prelude}${one}
if redis.call('LREM', L.queue, 1, ARGV[9]) == 1 then return {0} end
local now = now_ms()
settle(L, now)
local cur = redis.call('HMGET', L.lock, 'token', 'fence', 'expiresAt')
if cur[1] == ARGV[8] then return {1, tonumber(cur[2]), tonumber(cur[3])} end
return {-1}
`;

/** Frees the namespace's locks past their expiry (up to 100) and grants their next waiters. */
const sweep = `${prelude}
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', P.expiries, '-inf', int(now), 'LIMIT', 0, 100)
for _, name in ipairs(due) do settle(lock_of(name), now) end
return #due
`;

/** KEYS[2]: the session's held set. ARGV[7]: session id. Frees what it holds, granting next waiters. */
const releaseSession = `${prelude}
local now = now_ms()
for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local L = lock_of(name)
  if redis.call('HGET', L.lock, 'holder') == ARGV[7] then
    free(L)
    grant_next(L, now)
  end
end
redis.call('DEL', KEYS[2])
return 1
`;

/** ARGV[7]: name prefix. Flat: name, holder, fence, expiresAt, waiters, name, … */
const list = `${prelude}
local now = now_ms()
local out = {}
for _, name in ipairs(redis.call('ZRANGEBYSCORE', P.expiries, '(' .. int(now), '+inf')) do
  if string.sub(name, 1, #ARGV[7]) == ARGV[7] then
    local L = lock_of(name)
    local h = redis.call('HMGET', L.lock, 'holder', 'fence', 'expiresAt')
    if h[1] and tonumber(h[3]) > now then
      local n = 0
      for _, w in ipairs(redis.call('LRANGE', L.queue, 0, -1)) do
        local token, sid, deadline = parse_waiter(w)
        if token and waiting(sid, deadline, now) then n = n + 1 end
      end
      table.insert(out, name)
      table.insert(out, h[1])
      table.insert(out, tonumber(h[2]))
      table.insert(out, tonumber(h[3]))
      table.insert(out, n)
    end
  end
end
return out
`;

export const LOCK_SCRIPTS = {
  sbLockAcquire: { numberOfKeys: 4, lua: acquire },
  sbLockRenew: { numberOfKeys: 4, lua: renew },
  sbLockRelease: { numberOfKeys: 4, lua: release },
  sbLockCancel: { numberOfKeys: 4, lua: cancel },
  sbLockSweep: { numberOfKeys: 1, lua: sweep },
  sbLockReleaseSession: { numberOfKeys: 2, lua: releaseSession },
  sbLockList: { numberOfKeys: 1, lua: list },
} as const;

type Args = (string | number)[];
export type LockScripts = {
  sbLockAcquire(...args: Args): Promise<[number, (number | string)?, number?]>;
  sbLockRenew(...args: Args): Promise<[number, number?, number?]>;
  sbLockRelease(...args: Args): Promise<number>;
  sbLockCancel(...args: Args): Promise<[number, number?, number?]>;
  sbLockSweep(...args: Args): Promise<number>;
  sbLockReleaseSession(...args: Args): Promise<number>;
  sbLockList(...args: Args): Promise<Array<string | number>>;
};
