--[[
  Calls in the last minute from a deployment's call log, by Redis time.
  KEYS[1] call log. Returns the members (each "ms:outcome:id").
]]
--- @include "../../lua/includes/redis-now-ms"

return redis.call('ZRANGEBYSCORE', KEYS[1], redisNowMs() - 60000, '+inf')
