--[[
  Opens a job's call right before it is sent, in one step: refused while an earlier call of the
  job is still open, else the call's expected cost reserved against the batch's budget, the
  call counted (job and batch) and remembered as open until its deadline. The reservation is
  the open call's own (`openReserved` in the job state): closing the call (settle-cost.lua) or
  taking it back (release-cost.lua) gives it back; no hash of reservations per batch is written
  (two commands per call, and two more to drop it).
  Two runs of one job can be alive at once: after a Redis pause longer than the job lock, the
  stalled checker hands the job to another run while the first still holds it. Both may pass
  the "call in flight?" read at their start; only the first to get here opens a call, the
  other is told how long the open call may still run (its images are looked for in the store
  after that). An open call past its deadline was left by a worker that stopped: it is refused
  too (0 ms left), so the job's next run settles it as possibly billed before calling again.
  The deadline is by Redis's clock (TIME), the one clock every worker shares: a worker whose
  clock runs behind would otherwise take a call still running elsewhere for one long over.
  Only the run that holds the job's BullMQ lock opens a call (when ARGV[8] is its token): a run
  that lost the lock in the pause may still be waiting for its slot, and if it called, kept and
  closed its call before the run that took the job over reached here, that run would find no
  call open and pay for the images again.
  Before all that, the deployment's state (when ARGV[7] is '1'): a job that slept towards its
  slot must not call a deployment another worker paused (401/403/404) or set cooling down (429)
  meanwhile; checked here, the check costs no round trip of its own between slot and call.
  KEYS: batch hash, reservations hash (of earlier versions: not written here), the job's state
  hash, the deployment's limiter state hash, the job's BullMQ lock.
  ARGV: job id, expected micro-USD, call id, timeout ms, the open call (JSON: call id, USD,
  each image's share), job state TTL seconds, '1' to check the deployment ('' not to), the
  run's lock token ('' not to check).
  Returns {'opened', deadline ms, the job's calls counted with this one}, {'in_flight', ms left},
  {'over_budget', spent, reserved by others, max}, {'paused', reason}, {'cooling_down', ms left}
  or {'lost_lock'}.
]]
--- @include "../../lua/includes/redis-now-ms"

if ARGV[8] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[8] then return {'lost_lock'} end
local now = redisNowMs()
if ARGV[7] == '1' then
  local deployment = redis.call('HMGET', KEYS[4], 'paused', 'cooldownUntil')
  if deployment[1] then return {'paused', deployment[1]} end
  local cooldownLeft = math.ceil((tonumber(deployment[2]) or 0) - now)
  if cooldownLeft > 0 then return {'cooling_down', cooldownLeft} end
end
-- The open call and the count in one read, the count and the open call in one write.
local state = redis.call('HMGET', KEYS[3], 'openUntilMs', 'calls')
local openUntil = state[1]
if openUntil then return {'in_flight', math.max(0, tonumber(openUntil) - now)} end
-- No call of the job is open, so it holds no reservation: the whole amount is reserved, against
-- what the others hold. A batch without a budget still notes it (its summary shows what is in
-- flight). The header is read once and written once (the count and what is reserved together).
local amount = tonumber(ARGV[2])
local header = redis.call('HMGET', KEYS[1], 'maxCostMicros', 'spentMicros', 'reservedMicros', 'client', 'calls')
local spent = tonumber(header[2] or '0')
local reserved = tonumber(header[3] or '0')
if header[1] and spent + reserved + amount > tonumber(header[1]) then return {'over_budget', spent, reserved, tonumber(header[1])} end
redis.call('HSET', KEYS[1], 'reservedMicros', reserved + amount, 'calls', tonumber(header[5] or '0') + 1)
local untilMs = now + tonumber(ARGV[4])
local calls = tonumber(state[2] or '0') + 1
-- The batch's API client ('' for none) goes with the open call: its settlement adds the cost to
-- the client's spend without reading the header again.
redis.call('HSET', KEYS[3], 'calls', calls, 'openCall', ARGV[5], 'openCallId', ARGV[3], 'openUntilMs', untilMs, 'openClient', header[4] or '', 'openReserved', amount)
-- A state with a count already has its expiry: every writer of `calls` (this script, and
-- JobState's counters) sets it.
if not state[2] then redis.call('EXPIRE', KEYS[3], tonumber(ARGV[6])) end
return {'opened', untilMs, calls}
