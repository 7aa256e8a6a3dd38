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

-- The deployment's index memberships ("<group id>:<tier>") are the set groups-of:<name>; its
-- state hash mirrors them in the field `indexes` (comma-separated), written with every change
-- of the set and on every registration (register-slot-group.lua, reindex below), so a script
-- that read the state hash anyway (readBucket) moves the deployment in its indexes without
-- reading the set: a command less per slot taken.
local function mirrorIndexes(prefix, name)
  local members = redis.call('SMEMBERS', groupsOfKey(prefix, name))
  redis.call('HSET', deploymentKey(prefix, name), 'indexes', table.concat(members, ','))
end

-- Calls fn(member, groupId, tier) for each index the deployment is in: from `indexes` (the
-- state hash's mirror) when the caller read it, else from the set.
local function eachIndexOf(prefix, name, fn, indexes)
  local members
  if indexes then
    members = {}
    for member in string.gmatch(indexes, '[^,]+') do table.insert(members, member) end
  else
    members = redis.call('SMEMBERS', groupsOfKey(prefix, name))
  end
  for _, member in ipairs(members) do
    local sep = string.find(member, ':', 1, true)
    fn(member, string.sub(member, 1, sep - 1), string.sub(member, sep + 1))
  end
end

-- Moves a deployment to `score` in every index it is in. XX: a paused deployment, out of the
-- indexes, stays out. `indexes`: its state hash's `indexes` field, if read (nil: the set is read).
local function rescore(prefix, name, score, indexes)
  eachIndexOf(prefix, name, function(_, groupId, tier)
    redis.call('ZADD', groupTierKey(prefix, groupId, tier), 'XX', score, name)
  end, indexes)
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
  local isForgotten = false
  eachIndexOf(prefix, name, function(member, groupId, tier)
    if redis.call('EXISTS', groupKey(prefix, groupId)) == 1 then
      redis.call('ZADD', groupTierKey(prefix, groupId, tier), score, name)
      redis.call('SREM', groupPausedKey(prefix, groupId), name)
    else
      redis.call('SREM', groupsOfKey(prefix, name), member)
      isForgotten = true
    end
  end)
  if isForgotten then mirrorIndexes(prefix, name) end
end
