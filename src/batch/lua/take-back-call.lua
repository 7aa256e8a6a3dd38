--[[
  Takes back a call opened but never sent (its slot was missed), if it is still the job's open
  call: its count (job and batch) and its reservation given back, the call closed. A call of
  the job another run opened since (this run lost its lock) is that run's, and stays as it is.
  KEYS: batch hash, reservations hash (of earlier versions), the job's state hash.
  ARGV: job id, call id. Returns 1 when taken back, 0 when it was not the job's open call.
]]
--- @include "includes/budget-reservation"

local open = redis.call('HMGET', KEYS[3], 'openCallId', 'openReserved')
if open[1] ~= ARGV[2] then return 0 end
dropOpenReservation(KEYS[1], KEYS[2], ARGV[1], open[2])
redis.call('HDEL', KEYS[3], 'openCall', 'openCallId', 'openUntilMs', 'openClient', 'openReserved')
redis.call('HINCRBY', KEYS[3], 'calls', -1)
redis.call('HINCRBY', KEYS[1], 'calls', -1)
return 1
