// Lua scripts for tasks: every transition (handoff, accept, decline, complete, fail, cancel, the
// deadline of an offer, the end of a session) is one script, so the state check, the choice of
// the next candidate, the assignee's load and the indexes change together and exactly one node
// moves a task on. Times come from the Redis clock (TIME), so nodes whose clocks disagree still
// agree on when an offer ends. The semantics are those of MemoryTasks (memory-tasks.ts).
//
// Every script gets the same first eight ARGV (see TaskKeys.prefixes): the key prefixes of the
// namespace's tasks, sessions and indexes, its session set and load hash, the retention of an
// ended task and the TTL of an index set. Keys built from them carry the {ns} hash tag, so they
// are in the slot of KEYS[1].
//
// A task hash holds the fields of FIELDS, all strings: title/body/context/result/error are the
// JSON the hub encoded (never decoded here, so user data passes through untouched), history is
// a JSON array appended to as text, tried is ",a,b," (sessions never to be offered it again),
// deadline is when the standing offer ends ('' when none stands). '' means absent.
//
// A script returns {status, task fields (flat), change…}; a change is {update recipients
// (comma-separated), the session now offered it ('' for none), its deadline, task fields} and
// the node delivers it (task.update / task.offer through the inboxes, task.changed on the
// namespace channel) after the script.
//
// The namespace-wide view (tasks.watch) reads two zsets that every saved change keeps, scored by
// updatedAt: P:{ns}:tasks (the tasks that have not ended) and P:{ns}:tasksended (the newest
// WATCH_ENDED_TASKS ended ones, pruned of tasks past retention), so no script needs KEYS or SCAN.
import { WATCH_ENDED_TASKS } from '@switchboard/protocol';

const prelude = `
local P = { task = ARGV[1], sess = ARGV[2], sessions = ARGV[3], load = ARGV[4], created = ARGV[5], assigned = ARGV[6], retention = ARGV[7], indexTtl = ARGV[8] }
local HUB = 'hub'
local FIELDS = { 'id', 'from', 'to', 'cap', 'state', 'assignee', 'offeredTo', 'attempts', 'acceptMs', 'deadline', 'tried', 'createdAt', 'updatedAt', 'title', 'body', 'context', 'result', 'error', 'history' }
local TERMINAL = { completed = true, failed = true, declined = true, expired = true, canceled = true }
-- The deadline index (P:taskdue, member "ns" LF "id"), derived from the task prefix "P:{ns}:task:".
-- It is filed here, in the same script as the offer: a node that dies right after the script
-- cannot leave an offer without a deadline that some node will sweep.
local DUE = string.match(P.task, '^(.*):{') .. ':taskdue'
local NS = string.match(P.task, ':{(.-)}:task:$')
-- The watch indexes "P:{ns}:tasks" and "P:{ns}:tasksended", from "P:{ns}:task:" without "task:".
local BASE = string.sub(P.task, 1, -6)
local OPEN, ENDED = BASE .. 'tasks', BASE .. 'tasksended'
local WATCH_ENDED = ${WATCH_ENDED_TASKS}

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function int(n) return string.format('%d', n) end

local function load(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local T = {}
  for i = 1, #flat, 2 do T[flat[i]] = flat[i + 1] end
  return T
end

local function flat(T)
  local out = {}
  for _, f in ipairs(FIELDS) do
    out[#out + 1] = f
    out[#out + 1] = T[f] or ''
  end
  return out
end

local function index(prefix, sid, id)
  if sid == '' then return end
  redis.call('SADD', prefix .. sid, id)
  redis.call('PEXPIRE', prefix .. sid, P.indexTtl)
end

-- What one script does to one task: who gets task.update, who is offered it now.
local function change(T) return { T = T, updates = {}, offerTo = '', changed = false } end

local function notify(C, sid) if sid ~= '' then C.updates[sid] = true end end

-- reason: JSON text or nil.
local function log(C, state, by, reason, now)
  local T = C.T
  local entry = '{"state":"' .. state .. '","at":' .. int(now) .. ',"by":"' .. by .. '"'
  if reason then entry = entry .. ',"reason":' .. reason end
  T.history = string.sub(T.history, 1, -2) .. ',' .. entry .. '}]'
  T.state = state
  T.updatedAt = int(now)
  C.changed = true
end

local function unload(sid)
  if redis.call('HINCRBY', P.load, sid, -1) <= 0 then redis.call('HDEL', P.load, sid) end
end

local function clear_offer(T)
  T.offeredTo = ''
  T.deadline = ''
end

local function offer(C, sid, now)
  local T = C.T
  T.offeredTo = sid
  T.deadline = int(now + tonumber(T.acceptMs))
  redis.call('ZADD', DUE, T.deadline, NS .. '\\n' .. T.id)
  C.offerTo = sid
  C.changed = true
  index(P.assigned, sid, T.id)
end

local function finish(C, state, by, reason, now)
  if C.T.state == 'accepted' then unload(C.T.assignee) end
  clear_offer(C.T)
  log(C, state, by, reason, now)
end

-- Candidate order: idle/active before working, fewer accepted tasks, oldest connection, smaller id.
local function better(a, b)
  for i = 1, 3 do
    if a[i] ~= b[i] then return a[i] < b[i] end
  end
  return a[4] < b[4]
end

local function pick(T)
  local needle = ',' .. T.cap .. ','
  local best
  for _, sid in ipairs(redis.call('SMEMBERS', P.sessions)) do
    if sid ~= T.from and not string.find(T.tried, ',' .. sid .. ',', 1, true) then
      local s = redis.call('HMGET', P.sess .. sid, 'caps', 'away', 'data')
      if s[1] and s[2] == '' and string.find(s[1], needle, 1, true) then
        local ok, d = pcall(cjson.decode, s[3])
        if ok and type(d) == 'table' and d.status ~= 'away' then
          local key = { d.status == 'working' and 1 or 0, tonumber(redis.call('HGET', P.load, sid)) or 0, tonumber(d.connectedAt) or 0, sid }
          if not best or better(key, best) then best = key end
        end
      end
    end
  end
  return best and best[4]
end

local function offer_next(C, now)
  local sid = pick(C.T)
  if sid then return offer(C, sid, now) end
  finish(C, 'expired', HUB, '"no_candidates"', now)
end

-- The offer or the lease of session 'by' ends: a capability task goes to the next candidate
-- (or expires with none left); a 'to' task ends, declined on a decline, else expired.
local function move_on(C, by, reason, now, declined)
  local T = C.T
  local lost_lease = T.state == 'accepted'
  T.tried = T.tried .. by .. ','
  notify(C, by)
  clear_offer(T)
  if lost_lease then
    unload(T.assignee)
    T.attempts = int(tonumber(T.attempts) + 1)
    T.assignee = ''
  end
  if T.to ~= '' then
    if lost_lease then log(C, 'offered', by, reason, now) end
    return finish(C, declined and 'declined' or 'expired', by, reason, now)
  end
  log(C, 'offered', by, reason, now)
  offer_next(C, now)
end

-- An offer whose deadline has passed moves on before anything else happens to the task.
local function settle(C, now)
  local T = C.T
  if T.state == 'offered' and T.deadline ~= '' and tonumber(T.deadline) <= now then
    move_on(C, T.offeredTo, '"accept_timeout"', now, false)
  end
end

-- Saves a changed task and returns its change (nil when nothing changed).
local function emit(C)
  if not C.changed then return nil end
  local T = C.T
  local key = P.task .. T.id
  redis.call('HSET', key, unpack(flat(T)))
  if TERMINAL[T.state] then
    redis.call('PEXPIRE', key, P.retention)
    redis.call('ZREM', OPEN, T.id)
    redis.call('ZADD', ENDED, T.updatedAt, T.id)
    redis.call('ZREMRANGEBYRANK', ENDED, 0, -(WATCH_ENDED + 1))
    redis.call('ZREMRANGEBYSCORE', ENDED, '-inf', '(' .. int(tonumber(T.updatedAt) - tonumber(P.retention)))
    redis.call('PEXPIRE', ENDED, P.retention)
  else
    redis.call('ZADD', OPEN, T.updatedAt, T.id)
  end
  for _, idx in ipairs({ P.created .. T.from, P.assigned .. T.assignee, P.assigned .. T.offeredTo }) do
    redis.call('PEXPIRE', idx, P.indexTtl)
  end
  local ids = {}
  for sid in pairs(C.updates) do ids[#ids + 1] = sid end
  return { table.concat(ids, ','), C.offerTo, T.deadline, flat(T) }
end
`;

/**
 * KEYS: task, idempotency key (or the task again). ARGV[9..18]: id, from, to ('' = none),
 * capability ('' = none), acceptMs, title, body, context (JSON), has idempotency key ('1'/'0'),
 * idempotency ms. {5, task, change} created | {4, task} duplicate | {0} 'to' not found.
 */
const handoff = `${prelude}
if ARGV[17] == '1' then
  local first = redis.call('GET', KEYS[2])
  local F = first and load(P.task .. first)
  if F then return {4, flat(F)} end
end
if ARGV[11] ~= '' and redis.call('EXISTS', P.sess .. ARGV[11]) == 0 then return {0} end
local now = now_ms()
local T = {
  id = ARGV[9], from = ARGV[10], to = ARGV[11], cap = ARGV[12], state = 'offered', assignee = '', offeredTo = '',
  attempts = '1', acceptMs = ARGV[13], deadline = '', tried = ',', createdAt = int(now), updatedAt = int(now),
  title = ARGV[14], body = ARGV[15], context = ARGV[16], result = '', error = '',
  history = '[{"state":"offered","at":' .. int(now) .. ',"by":"' .. ARGV[10] .. '"}]',
}
index(P.created, T.from, T.id)
if ARGV[17] == '1' then redis.call('SET', KEYS[2], T.id, 'PX', ARGV[18]) end
local C = change(T)
C.changed = true
if T.to ~= '' then offer(C, T.to, now) else offer_next(C, now) end
return {5, flat(T), emit(C)}
`;

/**
 * KEYS: task. ARGV[9..11]: action (accept, decline, complete, fail, cancel, settle), session,
 * argument (decline: the reason as JSON; complete: the result as JSON or ''; fail: the error as JSON).
 * {1, task, change?} done | {2, task, change?} conflict | {3, task, change?} forbidden | {0} not found.
 */
const act = `${prelude}
local T = load(KEYS[1])
if not T then return {0} end
local now = now_ms()
local C = change(T)
local action, by, arg = ARGV[9], ARGV[10], ARGV[11]
local status = 1
if action == 'cancel' then
  if T.from ~= by then
    status = 3
  else
    settle(C, now)
    if TERMINAL[T.state] then
      status = 2
    else
      notify(C, T.offeredTo)
      finish(C, 'canceled', by, nil, now)
    end
  end
else
  settle(C, now)
  if action == 'accept' then
    if T.state == 'accepted' and T.assignee == by then
      -- A repeat of an accept that succeeded (its answer was lost): the same answer again.
      status = 1
    elseif T.state ~= 'offered' or T.offeredTo ~= by then
      status = 2
    else
      clear_offer(T)
      T.assignee = by
      redis.call('HINCRBY', P.load, by, 1)
      log(C, 'accepted', by, nil, now)
    end
  elseif action == 'decline' then
    if T.state ~= 'offered' or T.offeredTo ~= by then status = 2 else move_on(C, by, arg, now, true) end
  elseif action == 'complete' or action == 'fail' then
    if T.assignee ~= by then
      status = 3
    elseif T.state ~= 'accepted' then
      status = 2
    else
      if action == 'complete' then T.result = arg else T.error = arg end
      finish(C, action == 'complete' and 'completed' or 'failed', by, nil, now)
    end
  end
end
return {status, flat(T), emit(C)}
`;

/**
 * KEYS: the session's assigned index. ARGV[9]: session id. The session ended: its leases and
 * the offers standing with it move on. {1, change…}
 */
const release = `${prelude}
local sid = ARGV[9]
local now = now_ms()
local out = {1}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local T = load(P.task .. id)
  if not T then
    redis.call('SREM', KEYS[1], id)
  else
    local C = change(T)
    if T.state == 'accepted' and T.assignee == sid then
      move_on(C, sid, '"assignee_lost"', now, false)
    elseif T.state == 'offered' and T.offeredTo == sid then
      move_on(C, sid, '"offer_lost"', now, false)
    end
    local e = emit(C)
    if e then out[#out + 1] = e end
  end
end
redis.call('HDEL', P.load, sid)
return out
`;

/**
 * KEYS: an index set (created or assigned). ARGV[9..11]: session id, role, state ('' = any).
 * Prunes ids whose task is gone. {task fields…}
 */
const list = `${prelude}
local sid, role, state = ARGV[9], ARGV[10], ARGV[11]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local T = load(P.task .. id)
  if not T then
    redis.call('SREM', KEYS[1], id)
  else
    local mine
    if role == 'created' then mine = T.from == sid else mine = T.assignee == sid or T.offeredTo == sid end
    if mine and (state == '' or T.state == state) then out[#out + 1] = flat(T) end
  end
end
return out
`;

/**
 * KEYS: the open and the ended watch index. The snapshot of tasks.watch: every open task, then
 * the WATCH_ENDED newest ended ones (unordered between the two; the node sorts). Prunes ids whose
 * task is gone and ended tasks past retention. {task fields…}
 */
const watch = `${prelude}
local now = now_ms()
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local T = load(P.task .. id)
  if not T then
    redis.call('ZREM', KEYS[1], id)
  elseif TERMINAL[T.state] then
    -- Cannot happen (emit moves it), but keep the index right if it ever does.
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], T.updatedAt, id)
  else
    out[#out + 1] = flat(T)
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. int(now - tonumber(P.retention)))
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(WATCH_ENDED + 1))
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[2], 0, -1)) do
  local T = load(P.task .. id)
  if not T then redis.call('ZREM', KEYS[2], id) else out[#out + 1] = flat(T) end
end
return out
`;

/**
 * KEYS: the global deadline zset. ARGV: member, the score the sweeper read, the task's deadline
 * now (-1: none). Sets the new deadline, or removes the member only if nobody re-armed it meanwhile.
 */
const dueDone = `
if tonumber(ARGV[3]) >= 0 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if cur and tonumber(cur) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;

export const TASK_SCRIPTS = {
  sbTaskHandoff: { numberOfKeys: 2, lua: handoff },
  sbTaskAct: { numberOfKeys: 1, lua: act },
  sbTaskRelease: { numberOfKeys: 1, lua: release },
  sbTaskList: { numberOfKeys: 1, lua: list },
  sbTaskWatch: { numberOfKeys: 2, lua: watch },
  sbTaskDueDone: { numberOfKeys: 1, lua: dueDone },
} as const;

type Args = (string | number)[];
/** A change as a script returns it: update recipients, new offeree, deadline, task fields. */
export type RawChange = [string, string, string, string[]];
export type TaskScripts = {
  sbTaskHandoff(...args: Args): Promise<[number, string[]?, RawChange?]>;
  sbTaskAct(...args: Args): Promise<[number, string[]?, RawChange?]>;
  sbTaskRelease(...args: Args): Promise<[number, ...RawChange[]]>;
  sbTaskList(...args: Args): Promise<string[][]>;
  sbTaskWatch(...args: Args): Promise<string[][]>;
  sbTaskDueDone(...args: Args): Promise<number>;
};
