--[[
  Whether a job may start a call, in one round trip: not while the store breaker is open, and
  not for an image another (or this) worker already paid for and keeps in its spool, which
  would be paid a second time.
  KEYS[1] store breaker hash, KEYS[2] spooled images hash
  ARGV image keys of the job's pending images.
  Returns {code or '', message or '', openedAt or '', spooled image key or '', its holder JSON or '',
  1 if no image is in any spool (the caller may then trust "closed" for a moment), else 0}.
]]

local b = redis.call('HMGET', KEYS[1], 'code', 'message', 'openedAt')
local spooledKey, holder = '', ''
-- No spool holds anything (the usual case): one command instead of one per image.
local anySpooled = redis.call('EXISTS', KEYS[2])
if anySpooled == 1 then
  for i = 1, #ARGV do
    local h = redis.call('HGET', KEYS[2], ARGV[i])
    if h then
      spooledKey, holder = ARGV[i], h
      break
    end
  end
end
return {b[1] or '', b[2] or '', b[3] or '', spooledKey, holder, 1 - anySpooled}
