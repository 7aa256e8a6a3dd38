--[[
  Gives back a job's reservation (no call made, or none billed that we know of): its open
  call's (`openReserved` in the job state, open-call.lua), which the call keeps open but no
  longer holding budget (a settlement of it later counts its cost and gives nothing back), and
  whatever an earlier version kept for the job in the batch's reservations hash.
  KEYS: batch hash, reservations hash, the job's state hash. ARGV: job id.
  Returns what it held, micro-USD.
]]
--- @include "includes/budget-reservation"

local held = 0
local own = redis.call('HGET', KEYS[3], 'openReserved')
if own then
  held = tonumber(own) or 0
  if held ~= 0 then redis.call('HINCRBY', KEYS[1], 'reservedMicros', -held) end
  redis.call('HDEL', KEYS[3], 'openReserved')
end
return held + dropReservation(KEYS[1], KEYS[2], ARGV[1])
