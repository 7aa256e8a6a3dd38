--[[
  Reservations: a slot too far away to wait for in the worker is held for its job while the
  job waits delayed in BullMQ. The reservations hash maps job id ->
  "<deployment>|<slot ms>|<units>" (plus "|p" when a 429'd job holds it); reserved:<deployment>
  indexes the others by slot, the ones a 429'd job may take over.
]]
--- @include "limiter-keys"

local function parseReservation(value)
  local name, slot, units, flag = string.match(value, '^([^|]+)|([^|]+)|?([^|]*)|?([^|]*)$')
  if name == nil then return nil end
  return name, tonumber(slot), tonumber(units) or 1, flag == 'p'
end

local function holdReservation(reservationsKey, prefix, jobId, name, slot, units, isPriority)
  local value = name .. '|' .. string.format('%.3f', slot) .. '|' .. units
  if isPriority then
    redis.call('HSET', reservationsKey, jobId, value .. '|p')
  else
    redis.call('HSET', reservationsKey, jobId, value)
    redis.call('ZADD', reservedKey(prefix, name), slot, jobId)
  end
end

local function dropReservation(reservationsKey, prefix, jobId, name)
  redis.call('HDEL', reservationsKey, jobId)
  redis.call('ZREM', reservedKey(prefix, name), jobId)
end
