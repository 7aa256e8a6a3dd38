--[[
  Lets workers call a paused deployment again: back into every slot index at the time it can
  next start a call. A 429 cooldown stays: it is the service's own word on when to call again.
  KEYS[1] deployment state hash
  ARGV[1] limiter key prefix, ARGV[2] deployment name
]]
--- @include "includes/slot-index"

redis.call('HDEL', KEYS[1], 'paused', 'pausedAt')
local f = redis.call('HMGET', KEYS[1], 'tat', 'cooldownUntil', 'burstMs')
reindex(ARGV[1], ARGV[2], nextFreeAt(tonumber(f[1]) or 0, tonumber(f[2]) or 0, tonumber(f[3]) or 0))
return 1
