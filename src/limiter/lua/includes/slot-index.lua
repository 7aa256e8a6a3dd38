--[[
  Slot indexes: for each group of deployments a worker chooses among (a model, or a model's
  pool) and each priority tier in it, a sorted set of deployment -> the time it can next start
  a call. Choosing a slot reads the first member of each tier instead of every deployment's
  state, so its cost does not grow with the number of deployments. Every script that moves
  that time (a slot taken, a cooldown) or takes a deployment in or out (pause, resume) updates
  each index the deployment is in, in the same atomic step.
]]
--- @include "limiter-keys"

-- When a deployment can next start a call, before `now` is applied: the later of its cooldown
-- and its bucket's next slot (GCRA: a call may start at tat - burst). Its score in every index.
local function nextFreeAt(tat, cooldownUntil, burst)
  return math.max(cooldownUntil, tat - burst)
end

-- Calls fn(member, groupId, tier) for each index the deployment is in.
local function eachIndexOf(prefix, name, fn)
  for _, member in ipairs(redis.call('SMEMBERS', groupsOfKey(prefix, name))) do
    local sep = string.find(member, ':', 1, true)
    fn(member, string.sub(member, 1, sep - 1), string.sub(member, sep + 1))
  end
end

-- Moves a deployment to `score` in every index it is in. XX: a paused deployment, out of the
-- indexes, stays out.
local function rescore(prefix, name, score)
  eachIndexOf(prefix, name, function(_, groupId, tier)
    redis.call('ZADD', groupTierKey(prefix, groupId, tier), 'XX', score, name)
  end)
end

-- A paused deployment leaves every index for its groups' paused sets.
local function unindex(prefix, name)
  eachIndexOf(prefix, name, function(_, groupId, tier)
    redis.call('ZREM', groupTierKey(prefix, groupId, tier), name)
    redis.call('SADD', groupPausedKey(prefix, groupId), name)
  end)
end

-- A resumed deployment goes back into every index, at `score`; memberships of groups no
-- longer registered are forgotten on the way.
local function reindex(prefix, name, score)
  eachIndexOf(prefix, name, function(member, groupId, tier)
    if redis.call('EXISTS', groupKey(prefix, groupId)) == 1 then
      redis.call('ZADD', groupTierKey(prefix, groupId, tier), score, name)
      redis.call('SREM', groupPausedKey(prefix, groupId), name)
    else
      redis.call('SREM', groupsOfKey(prefix, name), member)
    end
  end)
end
