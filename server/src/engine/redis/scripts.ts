// Lua scripts: each is one atomic step of the hub's shared state. The check (version, owner,
// epoch), the write, the TTL and the pub/sub notification happen together, so two nodes can
// never both win. Event payloads are built here by concatenation of values the engine has
// already JSON-encoded (keys and ids are restricted to characters that need no escaping).

/** KEYS: session, ns sessions, ns node set. ARGV: id, data, lastSeen, node, epoch, caps, ttlMs, channel. */
const join = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'lastSeen', ARGV[3], 'node', ARGV[4], 'epoch', ARGV[5], 'caps', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[8], '{"k":"p","e":"join","ls":' .. ARGV[3] .. ',"s":' .. ARGV[2] .. '}')
return 1
`;

/** KEYS: session. ARGV: epoch, data, caps, channel. */
const update = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'caps', ARGV[3])
local ls = redis.call('HGET', KEYS[1], 'lastSeen')
redis.call('PUBLISH', ARGV[4], '{"k":"p","e":"update","ls":' .. ls .. ',"s":' .. ARGV[2] .. '}')
return 1
`;

/** KEYS: session, ns sessions, ns node set. ARGV: id, node, epoch, reason, channel. */
const leave = `
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch', 'data', 'lastSeen')
if cur[1] == false then
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 0
end
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then
  redis.call('SREM', KEYS[3], ARGV[1])
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[5], '{"k":"p","e":"leave","r":"' .. ARGV[4] .. '","ls":' .. cur[4] .. ',"s":' .. cur[3] .. '}')
return 1
`;

/** KEYS: session. ARGV: epoch, lastSeen, ttlMs. Refreshes only a session this node epoch owns. */
const touch = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** KEYS: session. ARGV: node channel prefix, payload. Routes to the node holding the session. */
const route = `
local node = redis.call('HGET', KEYS[1], 'node')
if not node then return 0 end
redis.call('PUBLISH', ARGV[1] .. node .. ':ch', ARGV[2])
return 1
`;

/** KEYS: ns sessions. ARGV: session key prefix, exclude, capability, channel, payload. */
const broadcast = `
local n = 0
local needle = ',' .. ARGV[3] .. ','
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    local caps = redis.call('HGET', ARGV[1] .. id, 'caps')
    if caps and (ARGV[3] == '' or string.find(caps, needle, 1, true)) then n = n + 1 end
  end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return n
`;

/** KEYS: entry, index, versions, expiries. ARGV: key, value, kind, tags, ttlMs, ifVersion, author, now, channel. */
const memorySet = `
local cur = redis.call('HMGET', KEYS[1], 'version', 'kind', 'tags', 'createdAt')
local version = tonumber(cur[1]) or 0
local ifv = tonumber(ARGV[6])
if ifv >= 0 and ifv ~= version then return {0, version} end
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
redis.call('HSET', KEYS[1], 'value', ARGV[2], 'kind', kind, 'tags', tags, 'version', version, 'author', ARGV[7], 'createdAt', created, 'updatedAt', ARGV[8], 'expiresAt', expires)
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

/** KEYS: entry, index, versions, expiries. ARGV: key, ifVersion, by, channel. */
const memoryDelete = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
local ifv = tonumber(ARGV[2])
if ifv >= 0 and ifv ~= version then return {0, version} end
if version == 0 then return {1, 0} end
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

/** KEYS: nodes hash. ARGV: node id, epoch. Forgets a node only if it has not restarted since. */
const forgetNode = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0
`;

export const SCRIPTS = {
  sbJoin: { numberOfKeys: 3, lua: join },
  sbUpdate: { numberOfKeys: 1, lua: update },
  sbLeave: { numberOfKeys: 3, lua: leave },
  sbTouch: { numberOfKeys: 1, lua: touch },
  sbRoute: { numberOfKeys: 1, lua: route },
  sbBroadcast: { numberOfKeys: 1, lua: broadcast },
  sbMemorySet: { numberOfKeys: 4, lua: memorySet },
  sbMemoryDelete: { numberOfKeys: 4, lua: memoryDelete },
  sbMemoryExpire: { numberOfKeys: 4, lua: memoryExpire },
  sbForgetNode: { numberOfKeys: 1, lua: forgetNode },
} as const;
