--[[
  After a call that came back (any answer but 429): logs it and, on success, gives back part of
  a rate cut (includes/record-call.lua).

  KEYS[1] deployment state hash, KEYS[2] call log (sorted set), KEYS[3] per-minute counts (hash)
  ARGV[1] outcome, ARGV[2] recovery step, ARGV[3] a unique call-log member id
]]
--- @include "includes/record-call"

recordCall(0, 0)
return 1
