--[[
  Holds a job's open call open a while longer, if it is still this call: its answer came back
  near the call's deadline and its images are still being kept (the store's retries can take
  seconds). Until the deadline a run that takes the job over waits rather than call again; past
  it, that run would count the call as abandoned and pay for the images a second time while
  this worker is still writing them. Never shortens a deadline; a call settled or replaced in
  the meantime is left alone.
  KEYS: the job's state hash. ARGV: call id, ms from now (by Redis's clock).
  Returns 1 when held, 0 when it is not (or no longer) the job's open call.
]]
--- @include "../../lua/includes/redis-now-ms"

local state = redis.call('HMGET', KEYS[1], 'openCallId', 'openUntilMs')
if state[1] ~= ARGV[1] then return 0 end
local untilMs = redisNowMs() + tonumber(ARGV[2])
if untilMs > tonumber(state[2] or '0') then redis.call('HSET', KEYS[1], 'openUntilMs', untilMs) end
return 1
