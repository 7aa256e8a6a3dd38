--[[
  The waiting room of one slot group: who takes the group's next slots. Jobs wait in it,
  delayed in BullMQ, instead of booking slots far ahead, so a job that comes later with a
  better priority goes before a backlog that was booked first.

  Order: priority first (1 high, 2 normal, 3 bulk), then start-time fair queuing between the
  batches of one priority: a batch's next job is tagged max(V, the batch's last tag) + 1, where
  V is the tag of the last job of that priority that left the room for a slot. A batch that
  arrives behind a backlog of another thus starts at the front of the line's current round,
  and the two alternate (round-robin), whatever their sizes.

  A job keeps its place while it is parked: its entry stays in the room until it takes a slot.
  A parked job that is removed (cancelled, done elsewhere) or never comes back would hold the
  line: heads whose BullMQ job is gone or whose deadline passed are dropped, a few per call of
  a job already in line (a job's first call only enters it: it comes back before its turn);
  a cancelled batch's jobs are taken out by the cancel (src/batch/cancel-batch.ts).

  Bounded in size: a batch's tag is dropped from the clock once it is no more than its
  priority's virtual time (max(V, tag) is then V: the tag adds nothing), and the room's keys
  expire a day after their last use (renewed by every job told to wait, a job taking a slot
  at once from an empty room, and one in 16 leaving), so a room no worker asks of any more
  goes away.
]]
--- @include "limiter-keys"

-- Score = priority * 2^40 + tag: exact in a double while tags stay below 2^40 (they restart
-- from 0 whenever the room empties).
local ROOM_TAG_SPAN = 1099511627776
-- Dead heads dropped per call at most: the work of one call stays bounded.
local ROOM_SWEEP = 8
-- Clock fields looked at every ROOM_CLOCK_SAMPLE_EVERY slots taken, for tags left behind by
-- batches that ended without their last job taking a slot (cancelled, failed while parked).
local ROOM_CLOCK_SAMPLE = 2
local ROOM_CLOCK_SAMPLE_EVERY = 4
-- The room's keys outlive their last use by this much (ms).
local ROOM_TTL_MS = 86400000
-- A job that was in the room before this call renews its keys on leaving once in this many
-- tags, so three commands per slot are spared.
local ROOM_TOUCH_EVERY = 16

-- A use of the room keeps its keys for another ROOM_TTL_MS.
local function touchRoom(prefix, groupId)
  redis.call('PEXPIRE', groupRoomKey(prefix, groupId), ROOM_TTL_MS)
  redis.call('PEXPIRE', groupRoomUntilKey(prefix, groupId), ROOM_TTL_MS)
  redis.call('PEXPIRE', groupRoomClockKey(prefix, groupId), ROOM_TTL_MS)
end

-- Drops the batch's tag ('b:<priority>:<batch>') when it is no more than its priority's
-- virtual time: the next job of the batch gets max(V, tag) + 1 = V + 1 without it.
local function forgetSpentTag(clock, field)
  local priority = string.match(field, '^b:(%d+):')
  if not priority then return end
  local f = redis.call('HMGET', clock, 'v:' .. priority, field)
  local v, tag = tonumber(f[1]), tonumber(f[2])
  if v and tag and tag <= v then redis.call('HDEL', clock, field) end
end

-- Enters a job that is not in the room at the back of its batch's round; returns its score.
-- `isEmpty`: the room is empty (the caller looked), so it has no order to keep: the clock
-- restarts, and the batches' tags with it. A job that enters leaves the call parked with the
-- time its place lapses (parkInRoom) or with a slot (leaveRoom); the call renews the room's
-- keys then (see touchRoom).
local function enterRoom(prefix, groupId, jobId, priority, batch, isEmpty)
  local clock = groupRoomClockKey(prefix, groupId)
  local batchField = 'b:' .. priority .. ':' .. batch
  local tag = 1
  if isEmpty then
    redis.call('DEL', clock)
  else
    local f = redis.call('HMGET', clock, 'v:' .. priority, batchField)
    tag = math.max(tonumber(f[1]) or 0, tonumber(f[2]) or 0) + 1
  end
  redis.call('HSET', clock, batchField, tag)
  local score = priority * ROOM_TAG_SPAN + tag
  redis.call('ZADD', groupRoomKey(prefix, groupId), score, jobId)
  return score
end

-- Jobs ahead of jobId in the line.
local function placeInRoom(prefix, groupId, jobId)
  return redis.call('ZRANK', groupRoomKey(prefix, groupId), jobId)
end

-- Drops heads ahead of jobId (in the room) whose job no longer exists in BullMQ (jobKeyPrefix
-- .. id; no check when the prefix is '') or whose place lapsed, starting from `head` (read by
-- the caller); returns the jobs still ahead of it (none, without asking, when it is the head).
local function sweepRoom(prefix, groupId, jobId, jobKeyPrefix, now, head)
  local room = groupRoomKey(prefix, groupId)
  local untilKey = groupRoomUntilKey(prefix, groupId)
  for i = 1, ROOM_SWEEP do
    if i > 1 then head = redis.call('ZRANGE', room, 0, 0)[1] end
    if head == nil or head == jobId then return 0 end
    local deadline = tonumber(redis.call('HGET', untilKey, head) or '')
    local isGone = jobKeyPrefix ~= '' and redis.call('EXISTS', jobKeyPrefix .. head) == 0
    if not isGone and (deadline == nil or deadline >= now) then break end
    redis.call('ZREM', room, head)
    redis.call('HDEL', untilKey, head)
  end
  return placeInRoom(prefix, groupId, jobId)
end

-- A parked job's place lapses at deadlineMs unless it comes back before. Every park renews
-- all the room's keys (two commands more than the lapse times' alone): a room whose jobs park
-- for long between the 1-in-16 leaves that renew it must not expire while they are in it.
local function parkInRoom(prefix, groupId, jobId, deadlineMs)
  redis.call('HSET', groupRoomUntilKey(prefix, groupId), jobId, string.format('%.0f', deadlineMs))
  touchRoom(prefix, groupId)
end

-- The job takes a slot: it leaves the room, and its tag becomes its priority's virtual time.
-- Its batch's tag goes once V has reached it (the batch's last job in line has left), and,
-- now and then, a few other spent tags with it.
local function leaveRoom(prefix, groupId, jobId, score, batch, isNew)
  redis.call('ZREM', groupRoomKey(prefix, groupId), jobId)
  -- A job that entered in this call has no lapse time yet.
  if not isNew then redis.call('HDEL', groupRoomUntilKey(prefix, groupId), jobId) end
  local priority = math.floor(score / ROOM_TAG_SPAN)
  local tag = score - priority * ROOM_TAG_SPAN
  local clock = groupRoomClockKey(prefix, groupId)
  local field = 'v:' .. priority
  local batchField = 'b:' .. priority .. ':' .. batch
  local f = redis.call('HMGET', clock, field, batchField)
  local v = tonumber(f[1]) or 0
  if tag > v then
    redis.call('HSET', clock, field, tag)
    v = tag
  end
  local batchTag = tonumber(f[2])
  if batchTag and batchTag <= v then redis.call('HDEL', clock, batchField) end
  if tag % ROOM_CLOCK_SAMPLE_EVERY == 0 then
    for _, other in ipairs(redis.call('HRANDFIELD', clock, ROOM_CLOCK_SAMPLE)) do forgetSpentTag(clock, other) end
  end
  if isNew or tag % ROOM_TOUCH_EVERY == 0 then touchRoom(prefix, groupId) end
end

-- A job in line that will not wait now (every deployment paused) gives its place up.
local function quitRoom(prefix, groupId, jobId)
  redis.call('ZREM', groupRoomKey(prefix, groupId), jobId)
  redis.call('HDEL', groupRoomUntilKey(prefix, groupId), jobId)
end
