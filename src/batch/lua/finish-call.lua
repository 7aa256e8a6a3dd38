--[[
  The usual end of a job, in one round trip: its call settled (settle-cost.lua), its one image's
  outcome recorded with its state deleted (record-outcome.lua for a job's last outcome), and the
  call written in its deployment's call log (record-call.lua).
  KEYS: the seven of settle-cost.lua (the fifth, the job's state hash, is the one deleted), then
  the six of record-outcome.lua, then the three of record-call.lua. ARGV: the seven of
  record-outcome.lua, then the three of record-call.lua, then those of settle-cost.lua, its
  (image field, micro-USD) pairs last.
  Safe to run twice, as each script is: settle-cost.lua's marker of a settled call goes with
  the state, so a state already gone with this outcome already set means this ran before (its
  reply was lost and the command sent again), and the call is neither counted nor logged again;
  the outcome is set again, which counts nothing twice. A state gone without the outcome (a
  cancel or a resume cleared it while the call ran) is settled as settle-cost.lua settles it:
  the call was paid.
  Returns what the call added to the spend, micro-USD (0 the second time).
]]
--- @include "includes/settle-call"
--- @include "includes/record-outcome"
--- @include "../../limiter/lua/includes/record-call"

local isFirstRun = redis.call('EXISTS', KEYS[5]) == 1 or redis.call('HGET', KEYS[8], ARGV[1]) ~= ARGV[2]
local settled = 0
if isFirstRun then settled = settleCall(0, 10) end
recordOutcome(7, 0, KEYS[5])
-- The call log last: it is statistics (and a rate cut won back), and an error in it (a limiter
-- key of the wrong type) leaves the settlement and the outcome written; the script sent again
-- then finds the state gone and the outcome set, and ends without it.
if isFirstRun then recordCall(13, 7) end
return settled
