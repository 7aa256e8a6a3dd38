--[[
  Counts a call that came back in its minute of the deployment's per-minute counts (a hash:
  field "<minute>" for every call, "<minute>:429" for the 429s; minute = Redis ms / 60000),
  which the dashboard charts for the last hour. The call log keeps one minute only; these
  counts keep an hour: the first call of a new minute drops the fields older than that, and
  sets the hash to expire an hour after the end of that minute, so at least an hour after the
  last call (the minute's later calls need no PEXPIRE of their own: a command less per call).
  Returns true for the first call of a minute.
]]
local CALL_MINUTES_KEPT = 60

local function countCallMinute(key, nowMs, isRateLimited)
  local minute = math.floor(nowMs / 60000)
  local isNewMinute = redis.call('HINCRBY', key, tostring(minute), 1) == 1
  if isNewMinute then
    for _, field in ipairs(redis.call('HKEYS', key)) do
      local fieldMinute = tonumber(string.match(field, '^(%d+)'))
      if fieldMinute == nil or fieldMinute <= minute - CALL_MINUTES_KEPT then redis.call('HDEL', key, field) end
    end
    redis.call('PEXPIREAT', key, (minute + 1 + CALL_MINUTES_KEPT) * 60000)
  end
  if isRateLimited then redis.call('HINCRBY', key, minute .. ':429', 1) end
  return isNewMinute
end
