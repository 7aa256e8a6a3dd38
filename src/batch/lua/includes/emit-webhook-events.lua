--[[
  Webhook events of an image that just changed outcome, written in the same script as the
  outcome so none is lost between the two: `image.finished` when the batch asked for per-image
  events, and `batch.ended` when this image was the last one pending. Only for batches with a
  callback URL. Its keys are those of record-outcome.lua from KEYS[ko + 1]: KEYS[ko + 2] counts
  hash, KEYS[ko + 4] batch header, KEYS[ko + 5] outbox stream.
  `hasCallback`: whether the header has a callback URL, when the caller read it already (nil:
  read here).
]]
local function emitWebhookEvents(ko, batchId, imageKey, previous, outcome, hasCallback)
  if hasCallback == nil then hasCallback = redis.call('HEXISTS', KEYS[ko + 4], 'callbackUrl') == 1 end
  if not hasCallback or outcome == '' then return end
  if redis.call('HGET', KEYS[ko + 4], 'callbackPerImage') == '1' then
    redis.call('XADD', KEYS[ko + 5], '*', 'type', 'image.finished', 'batchId', batchId, 'imageKey', imageKey, 'outcome', outcome)
  end
  if previous and previous ~= '' then return end
  local done = 0
  for _, count in ipairs(redis.call('HVALS', KEYS[ko + 2])) do done = done + tonumber(count) end
  if done >= tonumber(redis.call('HGET', KEYS[ko + 4], 'images') or '0') then
    redis.call('XADD', KEYS[ko + 5], '*', 'type', 'batch.ended', 'batchId', batchId, 'ending', redis.call('HINCRBY', KEYS[ko + 4], 'endings', 1))
  end
end
