// Lua scripts for shared memory: each is one atomic step of the hub's shared state. The check (version, owner,
// epoch), the write, the TTL and the pub/sub notification happen together, so two nodes can
// never both win. Event payloads are built here by concatenation of values the engine has
// already JSON-encoded (keys and ids are restricted to characters that need no escaping).

/**
 * KEYS: entry, index, versions, expiries, fence counter of the write's lock.
 * ARGV: key, value, kind, tags, ttlMs, ifVersion, author, now, channel, fence (-1: none), maxKeys (0: none),
 * owner ('' = none; kept in the hash for delete rights, not in the entry clients see).
 * {1, entry} | {0, version} ifVersion mismatch | {2, current fence, version} stale fence |
 * {3, maxKeys} a new key while the namespace's index holds maxKeys keys (counted only for new keys).
 */
const memorySet = `
local cur = redis.call('HMGET', KEYS[1], 'version', 'kind', 'tags', 'createdAt')
local version = tonumber(cur[1]) or 0
local fv = tonumber(ARGV[10])
if fv >= 0 then
  local fence = tonumber(redis.call('GET', KEYS[5])) or 0
  if fence > fv then return {2, fence, version} end
end
local ifv = tonumber(ARGV[6])
if ifv >= 0 and ifv ~= version then return {0, version} end
local maxKeys = tonumber(ARGV[11])
if maxKeys > 0 and version == 0 and not redis.call('ZSCORE', KEYS[2], ARGV[1]) and redis.call('ZCARD', KEYS[2]) >= maxKeys then
  return {3, maxKeys}
end
local kind = ARGV[3]
if kind == '' then kind = cur[2] or 'state' end
local tags = ARGV[4]
if tags == '' then tags = cur[3] or '[]' end
local created = ARGV[8]
if version > 0 then created = cur[4] end
version = version + 1
local ttl = tonumber(ARGV[5])
local expires = 'null'
if ttl > 0 then expires = string.format('%d', tonumber(ARGV[8]) + ttl) end
redis.call('HSET', KEYS[1], 'value', ARGV[2], 'kind', kind, 'tags', tags, 'version', version, 'author', ARGV[7], 'owner', ARGV[12], 'createdAt', created, 'updatedAt', ARGV[8], 'expiresAt', expires)
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[4], expires, ARGV[1])
else
  redis.call('PERSIST', KEYS[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], version)
local entry = '{"key":"' .. ARGV[1] .. '","value":' .. ARGV[2] .. ',"kind":"' .. kind .. '","tags":' .. tags .. ',"version":' .. version .. ',"author":"' .. ARGV[7] .. '","createdAt":' .. created .. ',"updatedAt":' .. ARGV[8] .. ',"expiresAt":' .. expires .. '}'
redis.call('PUBLISH', ARGV[9], '{"k":"m","f":{"type":"memory.changed","op":"set","key":"' .. ARGV[1] .. '","version":' .. version .. ',"by":"' .. ARGV[7] .. '","entry":' .. entry .. '}}')
return {1, entry}
`;

/**
 * KEYS: entry, index, versions, expiries. ARGV: key, ifVersion, by, channel, author, owner.
 * With author ≠ '': deletes only if the entry's last write came from that session or (owner ≠ '') that owner; else {2, version}.
 */
const memoryDelete = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
local ifv = tonumber(ARGV[2])
if ifv >= 0 and ifv ~= version then return {0, version} end
if version == 0 then return {1, 0} end
if ARGV[5] ~= '' then
  local who = redis.call('HMGET', KEYS[1], 'author', 'owner')
  if who[1] ~= ARGV[5] and (ARGV[6] == '' or who[2] ~= ARGV[6]) then return {2, version} end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('PUBLISH', ARGV[4], '{"k":"m","f":{"type":"memory.changed","op":"delete","key":"' .. ARGV[1] .. '","version":' .. version .. ',"by":"' .. ARGV[3] .. '"}}')
return {1, 1}
`;

/**
 * KEYS: entry, index, versions, expiries. ARGV: key, channel.
 * Claims the expiry of an entry Redis has expired: exactly one caller publishes `expire`.
 */
const memoryExpire = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
local version = redis.call('HGET', KEYS[3], ARGV[1])
if not version then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], '{"k":"m","f":{"type":"memory.changed","op":"expire","key":"' .. ARGV[1] .. '","version":' .. version .. '}}')
return 1
`;

/** Memory scripts; session scripts are in session-scripts.ts. */
export const SCRIPTS = {
  sbMemorySet: { numberOfKeys: 5, lua: memorySet },
  sbMemoryDelete: { numberOfKeys: 4, lua: memoryDelete },
  sbMemoryExpire: { numberOfKeys: 4, lua: memoryExpire },
} as const;
