--[[
  Whether a deployment may be called right now: a job that slept towards its slot checks
  again, because another worker may have paused it (401/403/404) or set a cooldown (429)
  meanwhile.
  KEYS[1] deployment state hash. Returns {pausedReason or '', cooldownRemainingMs}.
]]
--- @include "../../lua/includes/redis-now-ms"

local f = redis.call('HMGET', KEYS[1], 'paused', 'cooldownUntil')
local cooldownUntil = tonumber(f[2]) or 0
-- The clock is read only when there is a cooldown to measure (a command less per check).
local left = 0
if cooldownUntil > 0 then left = math.max(0, math.ceil(cooldownUntil - redisNowMs())) end
return {f[1] or '', left}
