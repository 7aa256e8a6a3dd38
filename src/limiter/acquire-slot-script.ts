/**
 * One atomic step of the shared limiter, run inside Redis so every worker process on every
 * machine sees one bucket per deployment, timed by Redis's own clock (no clock skew between
 * machines). GCRA form of a token bucket: `tat` is the theoretical arrival time of the next
 * call; a call may start at max(now, tat - burst, cooldownUntil), and moves tat one interval on.
 *
 * Routing: among deployments with a slot within maxSleepMs, the best priority tier wins, then
 * the earliest slot; only when none has a slot that soon does the earliest slot of any tier
 * get reserved. So a lower tier takes what the better ones cannot start now (spill-over).
 *
 * KEYS[1]      reservations hash (job id -> "deployment|slotMs")
 * KEYS[2..n+1] the candidate deployments' state hashes
 * ARGV[1] job id, ARGV[2] maxSleepMs, ARGV[3] lateToleranceMs
 * ARGV[4 + 4(i-1) ..] per candidate: name, intervalMs (for this call's cost), burstMs, tier
 *
 * Returns {'go', name, waitMs}: call after waitMs (short; the worker sleeps; negative when a
 *           held slot is claimed after its time);
 *         {'reserved', name, waitMs}: a slot far away is held for this job, delay the job;
 *         {'paused', name1, reason1, ...}: every candidate is paused.
 */
export const ACQUIRE_SLOT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local jobId = ARGV[1]
local maxSleep = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local n = #KEYS - 1

local function num(key, f, default)
  local v = redis.call('HGET', key, f)
  if v then return tonumber(v) end
  return default
end

local held = redis.call('HGET', KEYS[1], jobId)
if held then
  redis.call('HDEL', KEYS[1], jobId)
  local sep = string.find(held, '|', 1, true)
  local heldName = string.sub(held, 1, sep - 1)
  local slot = tonumber(string.sub(held, sep + 1))
  for i = 1, n do
    if ARGV[4 + (i - 1) * 4] == heldName then
      local key = KEYS[i + 1]
      -- A reservation is honoured only if nothing changed under it: not paused, not inside a
      -- cooldown set after it was made, and claimed on time (a late start next to an
      -- on-time one would crowd one of Azure's short windows).
      if redis.call('HEXISTS', key, 'paused') == 0 and slot >= num(key, 'cooldownUntil', 0) and now <= slot + tolerance then
        -- Signed: a claim after its slot says by how much, so the worker's lateness check
        -- counts from the slot, not from the claim.
        return {'go', heldName, math.ceil(slot - now)}
      end
      break
    end
  end
end

local best, bestSlot, bestInterval, bestTier, bestSoon
local paused = {}
for i = 1, n do
  local key = KEYS[i + 1]
  local base = 4 + (i - 1) * 4
  local reason = redis.call('HGET', key, 'paused')
  if reason then
    table.insert(paused, ARGV[base])
    table.insert(paused, reason)
  else
    local interval = tonumber(ARGV[base + 1]) / num(key, 'rateFactor', 1)
    local burst = tonumber(ARGV[base + 2])
    local tier = tonumber(ARGV[base + 3])
    local slot = math.max(now, num(key, 'cooldownUntil', 0), num(key, 'tat', 0) - burst)
    local soon = slot - now <= maxSleep
    local better
    if best == nil then
      better = true
    elseif soon ~= bestSoon then
      better = soon
    elseif soon and tier ~= bestTier then
      better = tier < bestTier
    else
      better = slot < bestSlot
    end
    if better then
      best = i
      bestSlot = slot
      bestInterval = interval
      bestTier = tier
      bestSoon = soon
    end
  end
end
if best == nil then
  local reply = {'paused'}
  for _, v in ipairs(paused) do table.insert(reply, v) end
  return reply
end

local key = KEYS[best + 1]
local name = ARGV[4 + (best - 1) * 4]
local tat = math.max(num(key, 'tat', 0), bestSlot) + bestInterval
redis.call('HSET', key, 'tat', string.format('%.3f', tat), 'lastGrantAt', now)
local wait = math.ceil(bestSlot - now)
if wait <= maxSleep then
  return {'go', name, wait}
end
redis.call('HSET', KEYS[1], jobId, name .. '|' .. string.format('%.3f', bestSlot))
return {'reserved', name, wait}
`;

/**
 * After a 429: no slot before now + waitMs (the later of this and any cooldown already set).
 * A 429 that comes after the last cooldown ended, within a minute of the last 429, also cuts
 * the deployment's effective rate
 * (multiplicative decrease): Azure can lower a limit for a while on shared capacity.
 * KEYS[1] state hash, KEYS[2] call log (sorted set). ARGV[1] waitMs, ARGV[2] decrease factor,
 * ARGV[3] lowest rate factor, ARGV[4] a unique member id. Returns {cooldownUntil, rateFactor}.
 */
export const COOLDOWN_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local previous = tonumber(redis.call('HGET', KEYS[1], 'cooldownUntil') or '0')
local current = math.max(previous, untilMs)
redis.call('HSET', KEYS[1], 'cooldownUntil', current)
local factor = tonumber(redis.call('HGET', KEYS[1], 'rateFactor') or '1')
local last429 = tonumber(redis.call('HGET', KEYS[1], 'last429At') or '0')
-- One cut per throttling episode: 429s for calls already in flight during a cooldown say
-- nothing new, a 429 after the cooldown ended (within a minute of the last) does.
if now - last429 < 60000 and now >= previous then
  factor = math.max(tonumber(ARGV[3]), factor * tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], 'rateFactor', string.format('%.4f', factor))
end
redis.call('HSET', KEYS[1], 'last429At', now)
redis.call('HINCRBY', KEYS[1], 'rateLimited', 1)
redis.call('ZADD', KEYS[2], now, now .. ':429:' .. ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, now - 60000)
redis.call('PEXPIRE', KEYS[2], 120000)
return {current, string.format('%.4f', factor)}
`;

/**
 * After a call that came back (any answer but 429): logs it for "calls in the last minute"
 * and, on success, gives back part of a rate cut (additive increase).
 * KEYS[1] state hash, KEYS[2] call log. ARGV[1] outcome, ARGV[2] recovery step, ARGV[3] unique id.
 */
export const RECORD_CALL_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'ok' then
  local factor = tonumber(redis.call('HGET', KEYS[1], 'rateFactor') or '1')
  if factor < 1 then
    factor = math.min(1, factor + tonumber(ARGV[2]))
    redis.call('HSET', KEYS[1], 'rateFactor', string.format('%.4f', factor))
  end
end
redis.call('ZADD', KEYS[2], now, now .. ':' .. ARGV[1] .. ':' .. ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, now - 60000)
redis.call('PEXPIRE', KEYS[2], 120000)
return 1
`;

/**
 * Calls in the last minute from the call log, by outcome. KEYS[1] call log. Returns the
 * members (each "ms:outcome:id").
 */
export const RECENT_CALLS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], now - 60000, '+inf')
`;

/**
 * Whether a deployment may be called right now: a job that slept towards its slot checks
 * again, because another worker may have paused it (401/403/404) or set a cooldown (429)
 * meanwhile. KEYS[1] state hash. Returns {pausedReason or '', cooldownRemainingMs}.
 */
export const CHECK_CALLABLE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('HGET', KEYS[1], 'paused') or ''
local cooldown = tonumber(redis.call('HGET', KEYS[1], 'cooldownUntil') or '0')
return {paused, math.max(0, math.ceil(cooldown - now))}
`;
