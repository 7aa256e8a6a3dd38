--[[
  The limiter's keys under its prefix (KeySpace.limiterPrefix, e.g. "{imgbatch}:limiter:").
  src/queue/key-space.ts names the ones TypeScript reads; the scripts build the rest here,
  inside the prefix's hash tag, so on a Redis Cluster they share the one slot of the keys
  the scripts are given.

    deployment:<name>       hash: tat, cooldownUntil, paused, rateFactor, intervalMs, ...
    groups-of:<name>        set: "<group id>:<tier>" of every slot index holding the deployment
    reserved:<name>         sorted set: job id -> reserved slot (ms), the slots a 429'd job may take over
    groups                  set: the id of every group registered
    group:<id>              hash: "tiers" (ascending, comma-separated), "m:<name>" -> tier
    group:<id>:tier:<tier>  sorted set: deployment -> the time it can next start a call (ms)
    group:<id>:paused       set: the group's paused deployments
    group:<id>:room         sorted set: job id -> its place in the group's waiting room (waiting-room.lua)
    group:<id>:room:until   hash: job id -> when a parked job's place lapses (ms)
    group:<id>:room:clock   hash: "v:<priority>" -> virtual time, "b:<priority>:<batch>" -> the batch's last tag,
                            "touchedAt" -> when the room's keys were last renewed (ms)
]]
local function deploymentKey(prefix, name)
  return prefix .. 'deployment:' .. name
end

local function groupsOfKey(prefix, name)
  return prefix .. 'groups-of:' .. name
end

local function reservedKey(prefix, name)
  return prefix .. 'reserved:' .. name
end

local function groupsKey(prefix)
  return prefix .. 'groups'
end

local function groupKey(prefix, groupId)
  return prefix .. 'group:' .. groupId
end

local function groupTierKey(prefix, groupId, tier)
  return prefix .. 'group:' .. groupId .. ':tier:' .. tier
end

local function groupPausedKey(prefix, groupId)
  return prefix .. 'group:' .. groupId .. ':paused'
end

local function groupRoomKey(prefix, groupId)
  return prefix .. 'group:' .. groupId .. ':room'
end

local function groupRoomUntilKey(prefix, groupId)
  return prefix .. 'group:' .. groupId .. ':room:until'
end

local function groupRoomClockKey(prefix, groupId)
  return prefix .. 'group:' .. groupId .. ':room:clock'
end
