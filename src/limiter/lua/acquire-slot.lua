--[[
  Takes a call slot for a job among one group of deployments (registered by
  register-slot-group.lua): one atomic step inside Redis, so every worker process on every
  machine shares one bucket per deployment, timed by Redis's own clock.

  Routing: among deployments with a slot within maxSleepMs, the best priority tier wins, then
  the earliest slot; only when none has a slot that soon is the earliest slot of any tier
  reserved. So a lower tier takes what the better ones cannot start now (spill-over). The
  slot indexes give each tier's earliest deployment directly: the work done here does not
  grow with the number of deployments.

  A job that holds a reservation claims it instead, if nothing changed under it: its
  deployment still in the group, not paused, no cooldown set after the slot was booked, and
  claimed on time (a late start next to an on-time one would crowd one of Azure's short
  windows). A 429'd job's reservation ("p") that can no longer be used takes the front slot
  again rather than the back of the line.

  A job with a place in line (a priority and a batch) waits in the group's waiting room
  (waiting-room.lua) instead of booking a far slot: it takes a slot only while the slot its
  place in line would get is within maxSleepMs / 2 (the next free slot, plus one group
  interval per job ahead of it); otherwise it stays in the room and is delayed until a
  quarter of maxSleepMs before that, so parked jobs come back one by one, in the order of the
  line, a little ahead of their turn. A job without a place books as before (reservations).

  The room is written only once a slot was found: a call that finds the group unregistered
  or every deployment paused leaves a job new to the room out of it (no tag spent, no key
  made). A job new to an empty room that takes a slot at once leaves no trace in it: the next
  job to enter an empty room restarts its clock anyway.

  KEYS[1] reservations hash, KEYS[2] the group's hash
  ARGV[1] limiter key prefix, ARGV[2] group id, ARGV[3] job id, ARGV[4] maxSleepMs,
  ARGV[5] lateToleranceMs, ARGV[6] images in the call (the quota units of per-image deployments),
  ARGV[7] the job's priority in the waiting room (1 best; '' for no place in line),
  ARGV[8] its batch (the unit of round-robin), ARGV[9] the prefix of BullMQ job keys (a job
  whose key is gone leaves the line; '' for no such check), ARGV[10] how long a parked job's
  place outlives its wake time, ms, ARGV[11] the group's tiers (ascending, comma-separated),
  ARGV[12] the group's interval, ms (both as registered: the caller's group has them, so the
  group's hash is not read for them; a group missing in Redis has no slot index either, and is
  found unregistered below), ARGV[13] '1' when the job was never called: only a 429 holds a slot
  for a job in line, so it holds none and the reservations are not looked at ('' to look),
  ARGV[14] '1' when the job never asked for a slot in line before: it has no place in the
  waiting room, and it is not looked for there ('' to look)

  Returns {'go', name, waitMs, slotMs}: call after waitMs (at most maxSleepMs; negative when
            a held slot is claimed after its time, by that much); slotMs is the slot by Redis's clock;
          {'reserved', name, waitMs, slotMs}: a slot further away is held for the job: delay it;
          {'queued', waitMs, ahead}: the job keeps its place in the waiting room, `ahead` jobs
            before it: delay it by waitMs;
          {'paused', name1, reason1, ...}: every deployment of the group is paused;
          {'unregistered'}: the group is not (or no longer) in Redis: register it and ask again.
]]
--- @include "../../lua/includes/redis-now-ms"
--- @include "includes/limiter-keys"
--- @include "includes/bucket"
--- @include "includes/reservation"
--- @include "includes/take-front-slot"
--- @include "includes/waiting-room"

local reservationsKey = KEYS[1]
local groupHash = KEYS[2]
local prefix = ARGV[1]
local groupId = ARGV[2]
local jobId = ARGV[3]
local maxSleep = tonumber(ARGV[4])
local tolerance = tonumber(ARGV[5])
local images = tonumber(ARGV[6])
local roomPriority = tonumber(ARGV[7])
local batch = ARGV[8]
local jobKeyPrefix = ARGV[9]
local roomGraceMs = tonumber(ARGV[10]) or 0
local tiers = ARGV[11]
local groupInterval = tonumber(ARGV[12])
local isUncalled = ARGV[13] == '1'
local isFirstAsk = ARGV[14] == '1'
local now = redisNowMs()

-- A slot just held for the job: waited for in the worker when near, else the job is delayed.
local function offer(name, slot, units, isPriority)
  local wait = math.ceil(slot - now)
  local at = string.format('%.3f', slot)
  if wait <= maxSleep then return {'go', name, wait, at} end
  holdReservation(reservationsKey, prefix, jobId, name, slot, units, isPriority)
  return {'reserved', name, wait, at}
end

local held = not isUncalled and redis.call('HGET', reservationsKey, jobId)
if held then
  local name, slot, units, isPriority = parseReservation(held)
  redis.call('HDEL', reservationsKey, jobId)
  if name then
    redis.call('ZREM', reservedKey(prefix, name), jobId)
    local bucket
    if redis.call('HEXISTS', groupHash, 'm:' .. name) == 1 then bucket = readBucket(prefix, name) end
    if bucket and not bucket.pausedReason then
      if slot >= bucket.cooldownUntil and now <= slot + tolerance then
        -- Signed: a claim after its slot says by how much, so the worker's lateness check
        -- counts from the slot, not from the claim.
        return offer(name, slot, units, isPriority)
      end
      if isPriority then
        local front = takeFrontSlot(reservationsKey, prefix, name, bucket, jobId, now, math.max(now, bucket.cooldownUntil), unitsOf(bucket, images))
        redis.call('HDEL', reservationsKey, jobId)
        return offer(name, front, unitsOf(bucket, images), true)
      end
    end
  end
end

-- The best tier with a slot within `limit`, else the earliest slot of any tier.
local function pick(limit)
  local earliest, earliestSlot
  for tier in string.gmatch(tiers, '[^,]+') do
    local first = redis.call('ZRANGE', groupTierKey(prefix, groupId, tier), 0, 0, 'WITHSCORES')
    if first[1] then
      local slot = math.max(now, tonumber(first[2]))
      if slot - now <= limit then return first[1] end
      if earliest == nil or slot < earliestSlot then
        earliest, earliestSlot = first[1], slot
      end
    end
  end
  return earliest
end

local function pausedReply()
  local names = redis.call('SMEMBERS', groupPausedKey(prefix, groupId))
  if #names == 0 then return {'unregistered'} end
  table.sort(names)
  local reply = {'paused'}
  for _, name in ipairs(names) do
    table.insert(reply, name)
    table.insert(reply, redis.call('HGET', deploymentKey(prefix, name), 'paused') or 'paused')
  end
  return reply
end

-- Slots are booked only half of maxSleep ahead for jobs in line: a better job that comes in
-- finds at most that much of the deployments' time already given away, while the jobs in the
-- workers still cover a late wake-up of the next in line. Spill-over to a lower tier counts
-- from the same horizon, or a tier booked that far would never spill.
local horizon = maxSleep
if roomPriority then horizon = maxSleep / 2 end

-- The deployment whose slot the job would get, before the room is touched. Bounded: a
-- deployment paused behind the indexes' back (a hand-written HSET) is moved out of them and
-- the choice made again.
local name, bucket
for _ = 1, 8 do
  name = pick(horizon)
  if name == nil then break end
  bucket = readBucket(prefix, name)
  -- It asks again once the group is registered; nothing of it is in the room meanwhile.
  if bucket == nil then return {'unregistered'} end
  if not bucket.pausedReason then break end
  unindex(prefix, name)
  name = nil
end
if name == nil then
  -- A job already in line gives its place up: it will not wait now.
  if roomPriority and not isFirstAsk then quitRoom(prefix, groupId, jobId) end
  return pausedReply()
end

local units = unitsOf(bucket, images)
if not roomPriority then return offer(name, bookSlot(prefix, name, bucket, now, now, units), units, false) end

-- In line: the job takes the slot only when its turn (the next free slot, plus one group
-- interval per job ahead of it) is within the horizon; otherwise it keeps its place.
local nextSlot = math.max(now, bucket.cooldownUntil, bucket.tat - bucket.burst)
local room = groupRoomKey(prefix, groupId)
-- Its place first (a job on its first ask has none, and is not looked for): a job back near
-- its turn then needs its score only if it leaves (leaveRoom reads it).
local ahead = not isFirstAsk and redis.call('ZRANK', room, jobId)
local score, isNewInRoom, isRenewDue
if ahead then
  -- Dead heads only make a turn look farther: they are swept when the job would park again
  -- for them, or when its slot is free now though jobs are ahead of it (they may be dead, and
  -- would make every job behind them come back late).
  if ahead > 0 and (nextSlot - now + ahead * groupInterval > horizon or nextSlot <= now) then
    ahead = sweepRoom(prefix, groupId, jobId, jobKeyPrefix, now, ahead)
  end
else
  isNewInRoom = true
  local isNewRoom = redis.call('EXISTS', room) == 0
  -- New to an empty room, its turn is the next free slot: taken now, nothing is written to the
  -- room (the next job to enter an empty room restarts its clock anyway).
  if isNewRoom and nextSlot - now <= horizon then return offer(name, bookSlot(prefix, name, bucket, now, now, units), units, false) end
  score, isRenewDue = enterRoom(prefix, groupId, jobId, roomPriority, batch, isNewRoom, now)
  ahead = 0
  if not isNewRoom then ahead = placeInRoom(prefix, groupId, jobId) end
end
local turnIn = nextSlot - now + ahead * groupInterval
if turnIn <= horizon then
  leaveRoom(prefix, groupId, jobId, score, ahead, batch, isNewInRoom, now, isRenewDue)
  return offer(name, bookSlot(prefix, name, bucket, now, now, units), units, false)
end
local waitMs = math.ceil(turnIn - horizon / 2)
parkInRoom(prefix, groupId, jobId, now + waitMs + roomGraceMs, now, isRenewDue)
return {'queued', waitMs, ahead}
