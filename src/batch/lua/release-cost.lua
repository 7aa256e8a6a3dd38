--[[
  Drops a job's reservation (no call made, or none billed that we know of).
  KEYS: batch hash, reservations hash. ARGV: job id. Returns what it held, micro-USD.
]]
--- @include "includes/budget-reservation"

return dropReservation(KEYS[1], KEYS[2], ARGV[1])
