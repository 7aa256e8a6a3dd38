--[[
  Counts a call that came back in its minute of the deployment's per-minute counts (a hash:
  field "<minute>" for every call, "<minute>:429" for the 429s; minute = Redis ms / 60000),
  which the dashboard charts for the last hour. The call log keeps one minute only; these
  counts keep an hour: the first call of a new minute drops the fields older than that, and
  the hash expires an hour after the last call.
]]
local CALL_MINUTES_KEPT = 60

local function countCallMinute(key, nowMs, isRateLimited)
  local minute = math.floor(nowMs / 60000)
  if redis.call('HINCRBY', key, tostring(minute), 1) == 1 then
    for _, field in ipairs(redis.call('HKEYS', key)) do
      local fieldMinute = tonumber(string.match(field, '^(%d+)'))
      if fieldMinute == nil or fieldMinute <= minute - CALL_MINUTES_KEPT then redis.call('HDEL', key, field) end
    end
  end
  if isRateLimited then redis.call('HINCRBY', key, minute .. ':429', 1) end
  redis.call('PEXPIRE', key, (CALL_MINUTES_KEPT + 1) * 60000)
end
