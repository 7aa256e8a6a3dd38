--[[
  Gives back the reservations of open calls of jobs no worker holds, for one page of a batch's
  jobs: a worker reserves only with a call it opens (open-call.lua) while its job is active, so
  the reservation of a job not in BullMQ's active list was left by a worker that died. The call
  stays open: the job's next run waits for its deadline and counts it as possibly billed (with
  nothing more to give back). Checked and dropped in one script, so a job taken up meanwhile
  cannot lose a fresh reservation.
  KEYS: batch hash, the image queue's active list, then the page's job state hashes.
  ARGV: the page's job ids, in the order of their state keys. Returns how many it gave back.
]]

local released = 0
for i = 3, #KEYS do
  local own = redis.call('HGET', KEYS[i], 'openReserved')
  if own and not redis.call('LPOS', KEYS[2], ARGV[i - 2]) then
    local held = tonumber(own) or 0
    if held ~= 0 then redis.call('HINCRBY', KEYS[1], 'reservedMicros', -held) end
    redis.call('HDEL', KEYS[i], 'openReserved')
    released = released + 1
  end
end
return released
