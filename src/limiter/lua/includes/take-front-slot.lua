--[[
  The way back in for a job answered 429: the deployment's first slot at or after notBefore
  (the end of the wait the service named), not the back of the line. When another job holds
  that slot or a later one, the first such reservation changes hands: its job has not been
  called yet and books again when it wakes, while this one was called, refused, and told when
  to come back. When none is held, the next free slot at or after notBefore is booked. The
  slot is held for the job marked "p" (never taken over in its turn). Returns the slot, ms.
]]
--- @include "limiter-keys"
--- @include "bucket"
--- @include "reservation"

local function takeFrontSlot(reservationsKey, prefix, name, bucket, jobId, now, notBefore, units)
  local reserved = reservedKey(prefix, name)
  -- Slots a minute past were never claimed (their jobs were removed or came too late): forget them.
  for _, stale in ipairs(redis.call('ZRANGEBYSCORE', reserved, '-inf', now - 60000)) do
    local held = redis.call('HGET', reservationsKey, stale)
    if held and parseReservation(held) == name then redis.call('HDEL', reservationsKey, stale) end
  end
  redis.call('ZREMRANGEBYSCORE', reserved, '-inf', now - 60000)

  local first = redis.call('ZRANGEBYSCORE', reserved, notBefore, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local other = first[1]
  if other and other ~= jobId then
    local held = redis.call('HGET', reservationsKey, other)
    local heldName, heldSlot, heldUnits
    if held then heldName, heldSlot, heldUnits = parseReservation(held) end
    -- A call spending more quota than the one it replaces would crowd the slot after it.
    if heldName == name and units <= heldUnits then
      dropReservation(reservationsKey, prefix, other, name)
      holdReservation(reservationsKey, prefix, jobId, name, heldSlot, units, true)
      return heldSlot
    end
    if heldName ~= name then redis.call('ZREM', reserved, other) end
  end
  local slot = bookSlot(prefix, name, bucket, now, notBefore, units)
  holdReservation(reservationsKey, prefix, jobId, name, slot, units, true)
  return slot
end
