--[[
  Sets one image's outcome and keeps the per-status counters right however often it runs:
  a job retried after a crash records the same outcome again without counting it twice (nor
  sending its webhook events twice). The last outcome of a batch starts its retention.
  KEYS: outcomes hash, counts hash, errors hash, batch header, webhook outbox, reasons hash, and
  for a job's last outcome its state hash, deleted with it (the job is done: one round trip, not two).
  ARGV: image field (src/batch/batch-field.ts), outcome, error ('' for none), batch id, retention
  after the end in seconds, image key (for webhook events), reason code ('' for none).
]]
--- @include "includes/record-outcome"

return recordOutcome(0, 0, KEYS[7])
