--[[
  A job's reservation of its call's expected cost against the batch's budget, in whole
  micro-USD. One read of the header (HMGET) and the job's own reservation; a batch without a
  budget skips the reservation check but still notes what is in flight (its summary shows it).
]]

-- Where a call of `amount` stands against the budget: {fits 1/0, spent, reserved by others, max or -1}.
-- With `isReserve`, a call that fits replaces the job's reservation; one that does not drops it.
-- `seen`, when given, gets the header's `client` (false: none), read in the same HMGET for a
-- caller that keeps it (open-call.lua).
local function reserveBudget(header, reservations, jobId, amount, isReserve, seen)
  local fields = redis.call('HMGET', header, 'maxCostMicros', 'spentMicros', 'reservedMicros', 'client')
  if seen then seen.client = fields[4] end
  local max = fields[1]
  local spent = tonumber(fields[2] or '0')
  local reserved = tonumber(fields[3] or '0')
  if not max and not isReserve then return {1, spent, reserved, -1} end
  local own = tonumber(redis.call('HGET', reservations, jobId) or '0')
  local others = reserved - own
  if max and spent + others + amount > tonumber(max) then
    if isReserve and own ~= 0 then
      redis.call('HDEL', reservations, jobId)
      redis.call('HINCRBY', header, 'reservedMicros', -own)
    end
    return {0, spent, others, tonumber(max)}
  end
  if isReserve then
    redis.call('HSET', reservations, jobId, amount)
    if amount ~= own then redis.call('HINCRBY', header, 'reservedMicros', amount - own) end
  end
  return {1, spent, others, max and tonumber(max) or -1}
end

-- Drops the job's reservation; returns what it held.
local function dropReservation(header, reservations, jobId)
  local own = tonumber(redis.call('HGET', reservations, jobId) or '0')
  if own ~= 0 then
    redis.call('HDEL', reservations, jobId)
    redis.call('HINCRBY', header, 'reservedMicros', -own)
  end
  return own
end

-- Gives back the reservation of a job's open call: `openReserved` as its job state holds it
-- (open-call.lua), or, for a call opened by an earlier version (no such field), what the batch's
-- reservations hash holds for the job. Returns what it held.
local function dropOpenReservation(header, reservations, jobId, openReserved)
  if openReserved == false or openReserved == nil then return dropReservation(header, reservations, jobId) end
  local own = tonumber(openReserved) or 0
  if own ~= 0 then redis.call('HINCRBY', header, 'reservedMicros', -own) end
  return own
end
