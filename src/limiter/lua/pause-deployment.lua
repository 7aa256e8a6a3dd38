--[[
  Stops every worker calling a deployment until it is resumed: the deployment leaves every
  slot index for its groups' paused sets, so no slot choice sees it.
  KEYS[1] deployment state hash
  ARGV[1] limiter key prefix, ARGV[2] deployment name, ARGV[3] reason
]]
--- @include "../../lua/includes/redis-now-ms"
--- @include "includes/slot-index"

redis.call('HSET', KEYS[1], 'paused', ARGV[3], 'pausedAt', redisNowMs())
unindex(ARGV[1], ARGV[2])
return 1
