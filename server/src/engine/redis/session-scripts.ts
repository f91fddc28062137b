// Lua scripts for sessions: presence, ownership (node + epoch), inboxes, resume. Each is one
// atomic step: the ownership check, the write, the TTL and the pub/sub event happen together.
// A session hash holds: data (Session JSON without lastSeen), lastSeen, node ('' while away),
// epoch, caps (',a,b,'), secret (sha256 of the resume secret), seq (last inbox seq), and while
// away: away (reason), prev (status before away), until (end of the resume window).

/**
 * KEYS: session, ns sessions, ns node set. ARGV: id, data, lastSeen, node, epoch, caps, ttlMs,
 * channel, secret, seq (0 for a new session; the last seq delivered when a node registers a
 * session again after Redis lost it, so its inbox sequence goes on instead of restarting).
 */
const join = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'lastSeen', ARGV[3], 'node', ARGV[4], 'epoch', ARGV[5], 'caps', ARGV[6], 'secret', ARGV[9], 'seq', ARGV[10], 'away', '')
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[8], '{"k":"p","e":"join","ls":' .. ARGV[3] .. ',"s":' .. ARGV[2] .. '}')
return 1
`;

/** KEYS: session. ARGV: epoch, data, caps, channel. */
const update = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'away') ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'caps', ARGV[3])
local ls = redis.call('HGET', KEYS[1], 'lastSeen')
redis.call('PUBLISH', ARGV[4], '{"k":"p","e":"update","ls":' .. ls .. ',"s":' .. ARGV[2] .. '}')
return 1
`;

/**
 * KEYS: session, ns sessions, ns node set, inbox. ARGV: id, node, epoch, reason, channel.
 * Ends a session that (node, epoch) owns; node '' with epoch '' ends an away session.
 */
const leave = `
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch', 'data', 'lastSeen')
if cur[1] == false then
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 0
end
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then
  if ARGV[2] ~= '' then redis.call('SREM', KEYS[3], ARGV[1]) end
  return 0
end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[5], '{"k":"p","e":"leave","r":"' .. ARGV[4] .. '","ls":' .. cur[4] .. ',"s":' .. cur[3] .. '}')
return 1
`;

/** KEYS: session. ARGV: epoch, lastSeen, ttlMs. Refreshes only a session this node epoch owns. */
const touch = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'away') ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * KEYS: session, inbox, idempotency key (or the inbox again when there is none).
 * ARGV: frame JSON (any inbox frame) without its opening brace, node channel prefix, ns, to, inbox limit,
 * idempotency ms, msgId, has idempotency key ('1'/'0'), inbox retention ms, the sending node's id.
 * Returns {0} not found, {1, seq} pushed live to another node, {4, seq} for the sending node to
 * push itself (the recipient is there), {3, seq} queued (recipient away), {2, msgId} duplicate.
 */
const send = `
if ARGV[8] == '1' then
  local first = redis.call('GET', KEYS[3])
  if first then return {2, first} end
end
local node = redis.call('HGET', KEYS[1], 'node')
if not node then return {0} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local frame = '{"seq":' .. seq .. ',' .. ARGV[1]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], seq .. '-1', 'f', frame)
redis.call('PEXPIRE', KEYS[2], ARGV[9])
if ARGV[8] == '1' then redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[6]) end
if node == '' then return {3, seq} end
-- The recipient is on the sending node: it delivers the frame itself, no pub/sub round trip.
if node == ARGV[13] then return {4, seq} end
redis.call('PUBLISH', ARGV[2] .. node .. ':ch', '{"k":"d","ns":"' .. ARGV[3] .. '","to":"' .. ARGV[4] .. '","s":' .. seq .. '}\\n' .. frame)
return {1, seq}
`;

/**
 * KEYS: session, ns node set. ARGV: id, node, epoch, away data, reason, ttlMs, until, channel.
 * The socket is gone: the session turns away (resumable until ARGV[7]), fenced by (node, epoch).
 */
const suspend = `
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch', 'data', 'lastSeen')
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then return 0 end
local prev = string.match(cur[3], '"status":"(%a+)"')
redis.call('HSET', KEYS[1], 'node', '', 'epoch', '', 'data', ARGV[4], 'away', ARGV[5], 'prev', prev or 'active', 'until', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[8], '{"k":"p","e":"update","r":"' .. ARGV[5] .. '","ls":' .. cur[4] .. ',"s":' .. ARGV[4] .. '}')
return 1
`;

/**
 * KEYS: session, ns sessions, ns node set (new owner), inbox.
 * ARGV: secret, next secret, node, epoch, ttlMs, now, lastSeq, node set prefix, node channel prefix, ns, id, channel.
 * Returns {1, data, prev, entries…} on takeover, {0, 'expired'} or {0, 'gap'} (the old session
 * is then ended, with a leave, so its id is free).
 */
const resume = `
local cur = redis.call('HMGET', KEYS[1], 'secret', 'node', 'seq', 'data', 'prev', 'lastSeen')
if not cur[1] or cur[1] ~= ARGV[1] then return {0, 'expired'} end
local seq = tonumber(cur[3]) or 0
local last = tonumber(ARGV[7])
local entries = {}
if last < seq then entries = redis.call('XRANGE', KEYS[4], (last + 1) .. '-0', '+') end
if last > seq or #entries ~= seq - last then
  redis.call('DEL', KEYS[1], KEYS[4])
  redis.call('SREM', KEYS[2], ARGV[11])
  if cur[2] ~= '' then redis.call('SREM', ARGV[8] .. cur[2], ARGV[11]) end
  redis.call('PUBLISH', ARGV[12], '{"k":"p","e":"leave","r":"timeout","ls":' .. cur[6] .. ',"s":' .. cur[4] .. '}')
  return {0, 'gap'}
end
if cur[2] ~= '' then
  redis.call('SREM', ARGV[8] .. cur[2], ARGV[11])
  if cur[2] ~= ARGV[3] then
    redis.call('PUBLISH', ARGV[9] .. cur[2] .. ':ch', '{"k":"x","ns":"' .. ARGV[10] .. '","id":"' .. ARGV[11] .. '"}')
  end
end
redis.call('HSET', KEYS[1], 'node', ARGV[3], 'epoch', ARGV[4], 'secret', ARGV[2], 'away', '', 'prev', '', 'until', '', 'lastSeen', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[11])
local out = {1, cur[4], cur[5] or ''}
for _, e in ipairs(entries) do out[#out + 1] = e[2][2] end
return out
`;

/**
 * KEYS: session, ns sessions, inbox. ARGV: id, now, channel, reason (optional; default: why it went away).
 * Ends an away session whose resume window has passed (exactly one caller wins).
 */
const expireAway = `
local cur = redis.call('HMGET', KEYS[1], 'away', 'until', 'data', 'lastSeen')
if not cur[1] or cur[1] == '' or tonumber(cur[2]) > tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], '{"k":"p","e":"leave","r":"' .. (ARGV[4] or cur[1]) .. '","ls":' .. cur[4] .. ',"s":' .. cur[3] .. '}')
return 1
`;

/** KEYS: ns sessions. ARGV: session key prefix, exclude, capability, channel, payload. Away sessions do not count. */
const broadcast = `
local n = 0
local needle = ',' .. ARGV[3] .. ','
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    local s = redis.call('HMGET', ARGV[1] .. id, 'caps', 'away')
    if s[1] and s[2] == '' and (ARGV[3] == '' or string.find(s[1], needle, 1, true)) then n = n + 1 end
  end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return n
`;

/** KEYS: nodes hash. ARGV: node id, epoch. Forgets a node only if it has not restarted since. */
const forgetNode = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0
`;

export const SESSION_SCRIPTS = {
  sbJoin: { numberOfKeys: 3, lua: join },
  sbUpdate: { numberOfKeys: 1, lua: update },
  sbLeave: { numberOfKeys: 4, lua: leave },
  sbTouch: { numberOfKeys: 1, lua: touch },
  sbSend: { numberOfKeys: 3, lua: send },
  sbSuspend: { numberOfKeys: 2, lua: suspend },
  sbResume: { numberOfKeys: 4, lua: resume },
  sbExpireAway: { numberOfKeys: 3, lua: expireAway },
  sbBroadcast: { numberOfKeys: 1, lua: broadcast },
  sbForgetNode: { numberOfKeys: 1, lua: forgetNode },
} as const;
