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
  line: heads whose BullMQ job is gone or whose deadline passed are dropped, a few per call, by
  a job already in line that would otherwise park again for them, or whose slot is free now
  though jobs are ahead of it (they may be those); a cancelled batch's jobs are taken out by
  the cancel (src/batch/cancel-batch.ts).

  Bounded in size: a batch's tag is dropped from the clock once it is no more than its
  priority's virtual time (max(V, tag) is then V: the tag adds nothing), and the room's keys
  expire a day after their last use, so a room no worker asks of any more goes away.

  Expiry: every key of the room has one, and a room in use keeps its keys. Renewing all three
  keys on every park cost three commands per image; instead the clock holds `touchedAt`, when
  they were last renewed, read by the HMGETs of the clock that entering and leaving do anyway,
  and a call renews them (and rewrites touchedAt in the HSET of the clock it does anyway) only
  when that was ROOM_RENEW_AFTER_MS ago or more: a room in use has at least ROOM_TTL_MS -
  ROOM_RENEW_AFTER_MS left after each call. A key made afresh gets its expiry in the call that
  makes it:
    - the room (sorted set) is made only by a job entering it while it is empty: the clock
      restarts then (DEL), so touchedAt is missing and the call renews;
    - the clock: every call that writes it read touchedAt first, missing on a new clock;
    - the lapse times (hash): every job in the room has one (written as it parks in the call
      that entered it, removed as it leaves; the cancel takes a job out of the room before it
      drops its lapse time), so the hash is made afresh only by a job parking in a room that
      was empty (renewed, as above), or by a job in line whose own lapse time was gone (HSET
      says it added a field: the call renews).
]]
--- @include "limiter-keys"

-- Score = priority * 2^40 + tag: exact in a double while tags stay below 2^40 (they restart
-- from 0 whenever the room empties).
local ROOM_TAG_SPAN = 1099511627776
-- Dead heads dropped per call at most: the work of one call stays bounded.
local ROOM_SWEEP = 8
-- Clock fields looked at every ROOM_CLOCK_SAMPLE_EVERY slots taken, for tags left behind by
-- batches that ended without their last job taking a slot (cancelled, failed while parked):
-- 8 every 16 slots look at as many fields per slot as 2 every 4 did, so spent tags go as
-- fast, in one to three commands per 16 slots (HRANDFIELD with the values, an HMGET of other
-- priorities' virtual times, an HDEL) instead of three to five per 4.
local ROOM_CLOCK_SAMPLE = 8
local ROOM_CLOCK_SAMPLE_EVERY = 16
-- The room's keys outlive their last renewal by this much (ms).
local ROOM_TTL_MS = 86400000
-- A call renews the room's keys when their last renewal is at least this old (ms): at most
-- three commands an hour for a room in use, which keeps 23 of its 24 hours.
local ROOM_RENEW_AFTER_MS = 3600000

-- Whether the room's keys are due for renewal, by the clock's touchedAt (nil: never renewed
-- since the clock was made). A touchedAt ahead of Redis's clock (a failover to a replica whose
-- clock is behind) renews too, rather than wait for the clock to catch up.
local function isRenewDue(touchedAt, now)
  local at = tonumber(touchedAt)
  return at == nil or now - at >= ROOM_RENEW_AFTER_MS or at > now
end

-- The room's keys live another ROOM_TTL_MS. Called last in a call, after every write that
-- may have made one of them (the caller has written touchedAt).
local function renewRoom(prefix, groupId)
  redis.call('PEXPIRE', groupRoomKey(prefix, groupId), ROOM_TTL_MS)
  redis.call('PEXPIRE', groupRoomUntilKey(prefix, groupId), ROOM_TTL_MS)
  redis.call('PEXPIRE', groupRoomClockKey(prefix, groupId), ROOM_TTL_MS)
end

-- Drops spent tags among a sample of the clock's fields: a batch's tag ('b:<priority>:<batch>')
-- no more than its priority's virtual time (the next job of the batch gets max(V, tag) + 1 =
-- V + 1 without it). `priority`'s V is the caller's; other priorities' are read, in one HMGET.
local function forgetSpentTags(clock, priority, v)
  local sample = redis.call('HRANDFIELD', clock, ROOM_CLOCK_SAMPLE, 'WITHVALUES')
  local tags, others = {}, {}
  local vOf = {[priority] = v}
  for i = 1, #sample, 2 do
    local p = tonumber(string.match(sample[i], '^b:(%d+):'))
    if p then
      table.insert(tags, {sample[i], p, tonumber(sample[i + 1])})
      if vOf[p] == nil then
        vOf[p] = false
        table.insert(others, p)
      end
    end
  end
  if #others > 0 then
    local fields = {}
    for i, p in ipairs(others) do fields[i] = 'v:' .. p end
    local values = redis.call('HMGET', clock, unpack(fields))
    for i, p in ipairs(others) do vOf[p] = tonumber(values[i]) or false end
  end
  local spent = {}
  for _, t in ipairs(tags) do
    local pv = vOf[t[2]]
    if pv and t[3] and t[3] <= pv then table.insert(spent, t[1]) end
  end
  if #spent > 0 then redis.call('HDEL', clock, unpack(spent)) end
end

-- Enters a job that is not in the room at the back of its batch's round; returns its score,
-- and whether the room's keys are due for renewal (the caller's park or leave renews them,
-- after its writes; touchedAt is written here). `isEmpty`: the room is empty (the caller
-- looked), so it has no order to keep: the clock restarts, and the batches' tags with it.
local function enterRoom(prefix, groupId, jobId, priority, batch, isEmpty, now)
  local clock = groupRoomClockKey(prefix, groupId)
  local batchField = 'b:' .. priority .. ':' .. batch
  local tag, isDue = 1, true
  if isEmpty then
    redis.call('DEL', clock)
  else
    local f = redis.call('HMGET', clock, 'v:' .. priority, batchField, 'touchedAt')
    tag = math.max(tonumber(f[1]) or 0, tonumber(f[2]) or 0) + 1
    isDue = isRenewDue(f[3], now)
  end
  if isDue then
    redis.call('HSET', clock, batchField, tag, 'touchedAt', now)
  else
    redis.call('HSET', clock, batchField, tag)
  end
  local score = priority * ROOM_TAG_SPAN + tag
  redis.call('ZADD', groupRoomKey(prefix, groupId), score, jobId)
  return score, isDue
end

-- Jobs ahead of jobId in the line.
local function placeInRoom(prefix, groupId, jobId)
  return redis.call('ZRANK', groupRoomKey(prefix, groupId), jobId)
end

-- Drops heads ahead of jobId (in the room, `ahead` jobs before it) whose job no longer exists
-- in BullMQ (jobKeyPrefix .. id; no check when the prefix is '') or whose place lapsed; returns
-- the jobs still ahead of it. Every head dropped was ahead of it: no need to ask its rank again.
local function sweepRoom(prefix, groupId, jobId, jobKeyPrefix, now, ahead)
  local room = groupRoomKey(prefix, groupId)
  local untilKey = groupRoomUntilKey(prefix, groupId)
  for _ = 1, ROOM_SWEEP do
    local head = redis.call('ZRANGE', room, 0, 0)[1]
    if head == nil or head == jobId then return 0 end
    local deadline = tonumber(redis.call('HGET', untilKey, head) or '')
    local isGone = jobKeyPrefix ~= '' and redis.call('EXISTS', jobKeyPrefix .. head) == 0
    if not isGone and (deadline == nil or deadline >= now) then break end
    redis.call('ZREM', room, head)
    redis.call('HDEL', untilKey, head)
    ahead = ahead - 1
  end
  return ahead
end

-- A parked job's place lapses at deadlineMs unless it comes back before. `isDue`: whether
-- the room's keys are due for renewal, as enterRoom said; nil for a job that was in the room
-- before this call, which read nothing of the clock yet.
local function parkInRoom(prefix, groupId, jobId, deadlineMs, now, isDue)
  local added = redis.call('HSET', groupRoomUntilKey(prefix, groupId), jobId, string.format('%.0f', deadlineMs))
  if isDue == nil then
    local clock = groupRoomClockKey(prefix, groupId)
    -- Its lapse time was gone, so the hash may be new: renewed at once.
    isDue = added == 1 or isRenewDue(redis.call('HGET', clock, 'touchedAt'), now)
    if isDue then redis.call('HSET', clock, 'touchedAt', now) end
  end
  if isDue then renewRoom(prefix, groupId) end
end

-- The job takes a slot: it leaves the room, and its tag becomes its priority's virtual time.
-- Its batch's tag goes once V has reached it (the batch's last job in line has left), and,
-- now and then, a few other spent tags with it. `score`: its score, if the caller has it;
-- `ahead`: the jobs before it. `isNew`: it entered in this call (no lapse time yet); `isDue`
-- as for parkInRoom.
local function leaveRoom(prefix, groupId, jobId, score, ahead, batch, isNew, now, isDue)
  local room = groupRoomKey(prefix, groupId)
  if score == nil and ahead == 0 then
    -- The head: taken out with its score in one command.
    score = tonumber(redis.call('ZPOPMIN', room)[2])
  else
    score = score or tonumber(redis.call('ZSCORE', room, jobId))
    redis.call('ZREM', room, jobId)
  end
  if not isNew then redis.call('HDEL', groupRoomUntilKey(prefix, groupId), jobId) end
  local priority = math.floor(score / ROOM_TAG_SPAN)
  local tag = score - priority * ROOM_TAG_SPAN
  local clock = groupRoomClockKey(prefix, groupId)
  local field = 'v:' .. priority
  local batchField = 'b:' .. priority .. ':' .. batch
  local f = redis.call('HMGET', clock, field, batchField, 'touchedAt')
  local isRenewedHere = isDue == nil and isRenewDue(f[3], now)
  local v = tonumber(f[1]) or 0
  if tag > v and isRenewedHere then
    redis.call('HSET', clock, field, tag, 'touchedAt', now)
  elseif tag > v then
    redis.call('HSET', clock, field, tag)
  elseif isRenewedHere then
    redis.call('HSET', clock, 'touchedAt', now)
  end
  v = math.max(v, tag)
  local batchTag = tonumber(f[2])
  if batchTag and batchTag <= v then redis.call('HDEL', clock, batchField) end
  if tag % ROOM_CLOCK_SAMPLE_EVERY == 0 then forgetSpentTags(clock, priority, v) end
  if isDue or isRenewedHere then renewRoom(prefix, groupId) end
end

-- A job in line that will not wait now (every deployment paused) gives its place up.
local function quitRoom(prefix, groupId, jobId)
  redis.call('ZREM', groupRoomKey(prefix, groupId), jobId)
  redis.call('HDEL', groupRoomUntilKey(prefix, groupId), jobId)
end
