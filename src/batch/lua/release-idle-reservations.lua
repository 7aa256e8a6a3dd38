--[[
  Drops the reservations of jobs no worker holds: a worker reserves only while its job is
  active, so a reservation of a job not in BullMQ's active list was left by a worker that died.
  Checked and dropped in one script, so a job taken up meanwhile cannot lose a fresh
  reservation. KEYS: batch hash, reservations hash, the image queue's active list.
]]

local released = 0
local held = redis.call('HGETALL', KEYS[2])
for i = 1, #held, 2 do
  if not redis.call('LPOS', KEYS[3], held[i]) then
    redis.call('HDEL', KEYS[2], held[i])
    redis.call('HINCRBY', KEYS[1], 'reservedMicros', -tonumber(held[i + 1]))
    released = released + 1
  end
end
return released
