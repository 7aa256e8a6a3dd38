--[[
  Registers a group of deployments a worker chooses among (one model, or one pool of a model):
  each member's bucket parameters on its state hash, and the member in its tier's slot index
  at the time it can next start a call (or in the group's paused set); on the group's hash,
  the spacing of all its members' slots together (intervalMs). Idempotent; every
  worker process registers its groups before its first slot, so a group whose keys were lost
  is rebuilt from the deployments' state.

  KEYS[1] the group's hash
  ARGV[1] limiter key prefix, ARGV[2] group id, ARGV[3] the group's tiers, ascending, comma-separated
  ARGV[4 + 5(i-1) ..] per member: name, tier, intervalMs (per quota unit, headroom included),
  burstMs, perImage ("1" when the quota counts images)
]]
--- @include "includes/limiter-keys"
--- @include "includes/slot-index"

local prefix = ARGV[1]
local groupId = ARGV[2]
-- Known groups, for whoever must reach every waiting room (a batch's cancel).
redis.call('SADD', groupsKey(prefix), groupId)
local callsPerMs = 0
for i = 4, #ARGV, 5 do
  callsPerMs = callsPerMs + 1 / tonumber(ARGV[i + 2])
  local name, tier = ARGV[i], ARGV[i + 1]
  local key = deploymentKey(prefix, name)
  redis.call('HSET', key, 'intervalMs', ARGV[i + 2], 'burstMs', ARGV[i + 3], 'perImage', ARGV[i + 4])
  redis.call('SADD', groupsOfKey(prefix, name), groupId .. ':' .. tier)
  -- Rewritten on every registration, not only when the set changed: a worker of an older
  -- version adds memberships without the mirror, and a mirror left stale would keep the
  -- deployment's score in its other indexes from moving. Once per process and group: cheap.
  mirrorIndexes(prefix, name)
  redis.call('HSET', KEYS[1], 'm:' .. name, tier)
  local f = redis.call('HMGET', key, 'tat', 'cooldownUntil', 'burstMs', 'paused')
  if f[4] then
    redis.call('ZREM', groupTierKey(prefix, groupId, tier), name)
    redis.call('SADD', groupPausedKey(prefix, groupId), name)
  else
    redis.call('ZADD', groupTierKey(prefix, groupId, tier), nextFreeAt(tonumber(f[1]) or 0, tonumber(f[2]) or 0, tonumber(f[3]) or 0), name)
    redis.call('SREM', groupPausedKey(prefix, groupId), name)
  end
end
-- The spacing of the group's slots taken together, for the waiting room's wake times.
redis.call('HSET', KEYS[1], 'intervalMs', string.format('%.3f', 1 / callsPerMs))
-- Last: a group is in use once it has tiers, and by then every member is indexed.
redis.call('HSET', KEYS[1], 'tiers', ARGV[3])
return 1
