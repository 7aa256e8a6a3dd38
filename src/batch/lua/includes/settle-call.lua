--[[
  settleCall: what settle-cost.lua does, for it and for finish-call.lua. Its keys are
  KEYS[ko + 1 .. ko + 7] and its arguments ARGV[ao + 1 .. ao + 5], then its (image field,
  micro-USD) pairs to the end of ARGV.
]]
--- @include "budget-reservation"

local function settleCall(ko, ao)
  -- The job's reservation belongs to its open call: a late settlement of another call (a worker
  -- that lost the job, or a command sent again) must leave the open call's reservation alone,
  -- or other jobs would take that in-flight cost as free and the batch could pass its budget.
  local open = redis.call('HMGET', KEYS[ko + 5], 'openCallId', 'openClient', 'openReserved')
  local openCallId = open[1]
  local wasOpen = openCallId == ARGV[ao + 4]
  -- The batch's client as open-call.lua saw it ('' for none); nil when the call was not open here
  -- (or opened before the client was kept with it): then the header is read.
  local knownClient
  if wasOpen then
    knownClient = open[2] or nil
    dropOpenReservation(KEYS[ko + 1], KEYS[ko + 2], ARGV[ao + 1], open[3])
    redis.call('HDEL', KEYS[ko + 5], 'openCall', 'openCallId', 'openUntilMs', 'openClient', 'openReserved')
  end
  if redis.call('HSETNX', KEYS[ko + 5], 'settled:' .. ARGV[ao + 4], 1) == 0 then return 0 end
  -- A first settlement while no call is open (the job state lost it): a reservation an earlier
  -- version kept for the job in the batch's hash is nobody else's.
  if not openCallId then dropReservation(KEYS[ko + 1], KEYS[ko + 2], ARGV[ao + 1]) end
  -- A job state that held this call open has its expiry (open-call.lua set it).
  if not wasOpen and redis.call('TTL', KEYS[ko + 5]) < 0 then redis.call('EXPIRE', KEYS[ko + 5], tonumber(ARGV[ao + 5])) end
  for i = ao + 6, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[ko + 3], ARGV[i], ARGV[i + 1])
  end
  local total = tonumber(ARGV[ao + 2])
  if total ~= 0 then
    redis.call('HINCRBY', KEYS[ko + 1], 'spentMicros', total)
    redis.call('HINCRBY', KEYS[ko + 4], 'spentMicros', total)
    if ARGV[ao + 3] == 'possibly' then
      redis.call('HINCRBY', KEYS[ko + 1], 'possiblyBilledMicros', total)
      redis.call('HINCRBY', KEYS[ko + 4], 'possiblyBilledMicros', total)
    end
    local client = knownClient
    if client == nil then client = redis.call('HGET', KEYS[ko + 1], 'client') end
    if client and client ~= '' then
      redis.call('HINCRBY', KEYS[ko + 6], client, total)
      redis.call('HINCRBY', KEYS[ko + 7], client, total)
      redis.call('EXPIRE', KEYS[ko + 7], 604800)
    end
  end
  return total
end
