--[[
  Opens the store breaker: every worker stops starting calls until a probe write succeeds.
  The first failure names the breaker (code, message, when, by whom); later ones only move
  failedAt, so `status` says how long the store has been unwritable and why it first was.
  KEYS[1] store breaker hash
  ARGV[1] code, ARGV[2] message, ARGV[3] worker name. Returns 1 if this call opened it.
]]
--- @include "../../lua/includes/redis-now-ms"

local now = redisNowMs()
redis.call('HSET', KEYS[1], 'failedAt', now)
if redis.call('HSETNX', KEYS[1], 'code', ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'message', ARGV[2], 'openedAt', now, 'openedBy', ARGV[3])
return 1
