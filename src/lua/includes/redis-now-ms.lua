--[[
  Redis's own clock in ms. Every worker process on every machine reads this one clock, so
  slots and cooldowns hold whatever the machines' clocks say. TIME before a write is safe:
  Redis 5+ replicates a script's effects, not the script.
]]
local function redisNowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
