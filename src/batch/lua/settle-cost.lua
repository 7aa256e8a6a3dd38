--[[
  Counts what one call cost and, if it is the job's open call, closes it and drops the job's
  reservation. Every call paid is added: an image made again (deleted from the store, or
  generated but not kept) was paid again, and the budget and the spend must say so. The call's
  marker makes the script safe to run twice for one call (a command sent again after a
  reconnect, or the call of a worker that lost its job settled by both): the second run counts
  nothing. The marker is a field of the job's state hash, which goes when the job completes (a
  key per call, kept for a day, was 120 bytes of Redis per image).
  The open call is closed only when it is this call: a worker that lost its job (its lock
  expired in a Redis pause) and settles its call late must not close the call the job's next
  run has opened since.
  A call that may have been billed without our knowing (it timed out) is counted the same way,
  and also under `possiblyBilledMicros`, so the spend can say how much of it is a guess.
  KEYS: batch hash, reservations hash (of earlier versions), per-image costs hash, spend over all batches, the job's
  state hash, spend per client, spend per client today. ARGV: job id, the call's micro-USD,
  'billed' or 'possibly', call id, job state TTL seconds, then (image field, micro-USD) pairs.
  A batch made by an API client (header field `client`) adds the cost to the client's spend, in
  all and on today's UTC day, which its daily cap is checked against.
]]
--- @include "includes/settle-call"

return settleCall(0, 0)
