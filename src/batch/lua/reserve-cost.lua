--[[
  Reserves a call's expected cost against the batch's budget, or only checks that it would
  fit. One script, so workers racing for the last of a budget are served one at a time:
  together they overshoot only by what calls cost beyond what was expected of them. A job's
  reservation replaces its earlier one (a job taken over after a crash reserves again).
  KEYS: batch hash, reservations hash. ARGV: job id, micro-USD, 'reserve' or 'check'.
  Returns {fits 1/0, spent, reserved by others, max or -1}.
]]
--- @include "includes/budget-reservation"

return reserveBudget(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), ARGV[3] == 'reserve')
