import { budgetVerdictOf, type BudgetSnapshot, type BudgetVerdict } from '../../batch/batch-budget.js';
import type { DeploymentConfig } from '../../config/deployment-config.js';
import { DEFAULT_JOB_PRIORITY } from '../../job/job-priority.js';
import type { ExpectedCost } from '../../cost/expected-call-cost.js';
import { slotCandidateOf } from '../../limiter/slot-candidate-lists.js';
import type { LinePlace } from '../../limiter/slot-limiter.js';
import type { Logger } from '../../log/logger.js';
import type { LineGate } from '../line-gate.js';
import type { QueueBacklog } from '../queue-backlog.js';
import type { JobCounters } from '../../queue/job-state.js';
import { unstartedLineOf } from '../../queue/unstarted-lines.js';
import { nextStep, type RetrySettings } from '../retry-policy.js';
import { stopped } from './admit-job.js';
import type { StoppingStep } from './carry-out-step.js';
import { countCall, uncountCall, type CountDeps } from './count-call.js';
import type { JobContext } from './job-context.js';
import type { CallSlots, SpendBook } from './processor-ports.js';

/** Counters for the setbacks before a call: the policy does not look at them there. */
const NO_COUNTERS: JobCounters = { calls: 0, freeCalls: 0, rateLimitWaits: 0, timeouts: 0, lastError: undefined };

export type SlotDeps = CountDeps & {
  readonly limiter: Pick<CallSlots, 'acquireInLine'>;
  readonly batches: Pick<SpendBook, 'openCall'>;
  readonly settings: RetrySettings;
  readonly wakeEarlyMs: number;
  readonly lineWait: LineWait;
  readonly lineGate: LineGate;
  readonly backlog: QueueBacklog;
  readonly lateToleranceMs: number;
  readonly logger: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
};

/**
 * How a job whose turn in the waiting room is not near yet waits for it. A park (BullMQ's
 * delayed set, then a fetch and a start again) costs about forty Redis commands; a wait in the
 * process costs none, only the ask for a slot when it ends. So a turn a few seconds away is
 * waited for here, holding the job (its lock is renewed meanwhile like a call's), and only a
 * farther one parks.
 */
export interface LineWait {
  /** The most a job waits in the process for its turn in all, ms; beyond it, it parks. */
  readonly inProcessMs: number;
  /**
   * A parked job's wake-up is put down to a multiple of this, ms (on this process's clock), so
   * jobs parked close together come back together: BullMQ promotes them in one step, and its
   * fetch that finds nothing more runs once for them all rather than once per job.
   */
  readonly parkGridMs: number;
  /**
   * The most a job waits for the job of its line before it in this process (line-gate.ts), and
   * how often a job waiting in the process looks whether its worker slot is wanted (then it parks), ms.
   */
  readonly gateMs: number;
}

/** The job's counters and its batch's budget as this run read them at its start. */
export interface KnownAtStart {
  readonly counters: JobCounters;
  readonly budget: BudgetSnapshot;
  /** Put back to wait before (parked, a 429, a backoff): it may hold a place in line or a slot already. */
  readonly wasDelayed?: boolean;
}

export type SlotTaken =
  /** Call now: budget reserved, the call counted (and remembered as open) under `callId`. */
  | { readonly kind: 'taken'; readonly deployment: DeploymentConfig; readonly counters: JobCounters; readonly callId: string; readonly openUntilMs: number }
  | { readonly kind: 'over_budget'; readonly verdict: BudgetVerdict }
  /** The job is no longer this run's: its lock is another run's, or expired. */
  | { readonly kind: 'lost' }
  | { readonly kind: 'stopped'; readonly step: StoppingStep };

/**
 * The second half of admission: the budget (as read at the job's start), then a slot of the
 * shared limiter, then the call opened right before it (count-call.ts: budget reserved, call
 * counted, open until its deadline). Checked before taking a slot, so a batch past its budget
 * spends none of the quota other batches could use; the reservation after the wait for the
 * slot is what holds (workers racing for the last of a budget are served one at a time).
 */
export async function takeSlot(deps: SlotDeps, ctx: JobContext, pending: readonly number[], candidates: readonly DeploymentConfig[], expected: ExpectedCost, known: KnownAtStart): Promise<SlotTaken> {
  const { data } = ctx;
  const budget = budgetVerdictOf(known.budget, expected.usd);
  if (!budget.isWithinBudget) return { kind: 'over_budget', verdict: budget };
  // Never called (its state counts no call): no 429 holds it a slot.
  const place: LinePlace = { priority: data.priority ?? DEFAULT_JOB_PRIORITY, batchId: data.batchId, isUncalled: known.counters.calls === 0 };
  // Behind the job of its line before it in this process (line-gate.ts); the wait there is
  // bounded on its own (while the line moves), and not counted in the wait for its turn below,
  // so a job let through late does not park for a turn that is near.
  // Not while its worker slot is wanted to fetch a job that has no place in line yet (queue-backlog.ts).
  const line = `${candidates.map((c) => c.name).join(',')}|${place.priority}|${place.batchId}`;
  // A job back from a wait, or with calls before (a 429 holds it a slot), may already be ahead
  // of the jobs of its line here: it asks at once.
  const isReturning = known.wasDelayed === true || known.counters.calls > 0;
  const { turn, letNextGo, stillMs } = isReturning ? { turn: Promise.resolve(), letNextGo: () => undefined, stillMs: () => 0 } : deps.lineGate.join(line);
  try {
    // Its line among the jobs waiting unfetched, for the backlog's question (queue-backlog.ts).
    const unstarted = unstartedLineOf(data);
    await waitForTurn(deps, { turn, stillMs }, unstarted);
    // Any other job is on its first run (BullMQ started it once) and never asked for a slot:
    // it has no place in the waiting room to look for until this first ask.
    return await takeSlotInLine(deps, ctx, pending, candidates, expected, known, { place: { ...place, isFirstAsk: !isReturning }, unstarted }, letNextGo);
  } finally {
    letNextGo();
  }
}

async function takeSlotInLine(
  deps: SlotDeps,
  ctx: JobContext,
  pending: readonly number[],
  candidates: readonly DeploymentConfig[],
  expected: ExpectedCost,
  known: KnownAtStart,
  { place, unstarted }: { readonly place: LinePlace; readonly unstarted: string },
  letNextGo: () => void,
): Promise<SlotTaken> {
  const { jobId, data } = ctx;
  const slotCandidates = candidates.map(slotCandidateOf);
  let waitedInLineMs = 0;
  for (let missed = 0, asked = place; ; asked = { ...place, isFirstAsk: false }) {
    const offer = await deps.limiter.acquireInLine(jobId, slotCandidates, asked, pending.length);
    // Waiting here for its turn, it keeps the jobs of its line behind it; otherwise they may ask.
    if (offer.kind !== 'queued' || waitedInLineMs + offer.waitMs > deps.lineWait.inProcessMs) letNextGo();
    if (offer.kind === 'paused') {
      const why = `every deployment for ${data.model} is paused (${offer.reasons.map((r) => `${r.deployment}: ${r.reason}`).join('; ')})`;
      return stopped(nextStep({ kind: 'deployments_paused', why }, NO_COUNTERS, deps.settings));
    }
    if (offer.kind === 'queued') {
      // Its place in line is kept while it waits, here or parked; the wait already ends ahead
      // of its turn. It has no slot meanwhile: a better job that comes in still goes first, and
      // this one asks again when it wakes.
      // Held here unless its worker slot is wanted to fetch a job that has no place in line yet
      // and its turn is not near (queue-backlog.ts), or the worker closes.
      if (waitedInLineMs + offer.waitMs <= deps.lineWait.inProcessMs && !(await deps.backlog.isSlotWanted(offer.waitMs, unstarted))) {
        const startedAt = deps.now();
        await waitInProcess(deps, offer.waitMs, unstarted);
        waitedInLineMs += deps.now() - startedAt;
        continue;
      }
      const reason = `waiting for a slot behind ${offer.ahead} jobs`;
      return { kind: 'stopped', step: { kind: 'retry', afterMs: offer.waitMs, reason, wakeGridMs: deps.lineWait.parkGridMs } };
    }
    if (offer.kind === 'reserved') {
      return { kind: 'stopped', step: { kind: 'retry', afterMs: Math.max(0, offer.waitMs - deps.wakeEarlyMs), reason: `slot on ${offer.deployment} in ${offer.waitMs} ms` } };
    }
    const slotAt = deps.now() + offer.waitMs;
    if (offer.waitMs > 0) await deps.sleep(offer.waitMs);
    const deployment = candidates.find((d) => d.name === offer.deployment);
    if (deployment === undefined) throw new Error(`limiter granted unknown deployment ${offer.deployment}`);
    // While this job slept towards its slot, another may have been told 401 or 429: the call is
    // opened only if the deployment is neither paused nor cooling down (one round trip for both).
    const { opening, callId, openUntilMs } = await countCall(deps, ctx, deployment, pending, expected);
    if (opening.kind === 'paused') return stopped(nextStep({ kind: 'deployments_paused', why: `deployment ${offer.deployment} paused (${opening.reason})` }, NO_COUNTERS, deps.settings));
    if (opening.kind === 'cooling_down') return stopped(nextStep({ kind: 'cooling_down', deployment: offer.deployment, remainingMs: opening.remainingMs }, NO_COUNTERS, deps.settings));
    // Refused here, the slot goes unused: the batch is at its end anyway, or another run of
    // this job has a call open (it may bring these images).
    if (opening.kind === 'over_budget') return { kind: 'over_budget', verdict: opening.verdict };
    if (opening.kind === 'in_flight') return stopped(nextStep({ kind: 'call_in_flight', leftMs: opening.leftMs }, NO_COUNTERS, deps.settings));
    if (opening.kind === 'lost_lock') return { kind: 'lost' };
    const counters: JobCounters = { ...known.counters, calls: opening.calls };
    // A call that starts well after its slot, next to later ones on time, would crowd one of
    // Azure's short windows. Measured after the last Redis round trip: a Redis outage or a busy
    // event loop makes a call late; it gives the slot up and takes the next free one.
    const lateMs = deps.now() - slotAt;
    if (lateMs <= deps.lateToleranceMs) return { kind: 'taken', deployment, counters, callId, openUntilMs };
    await uncountCall(deps, ctx, callId);
    missed++;
    deps.logger.debug({ jobId, deployment: offer.deployment, lateMs, missed }, 'slot missed: taking the next one');
    const step = nextStep({ kind: 'slots_missed', missed }, counters, deps.settings);
    if (step.kind !== 'proceed') return stopped(step);
  }
}

/**
 * Sleeps ms, in steps of gateMs, cut short when its worker slot is wanted meanwhile (the worker
 * closes; a turn this near is not given up for the backlog): the job then asks again, and parks.
 */
async function waitInProcess(deps: SlotDeps, ms: number, line: string): Promise<void> {
  const endAt = deps.now() + ms;
  for (let leftMs = ms; leftMs > 0; leftMs = endAt - deps.now()) {
    await deps.sleep(Math.min(leftMs, Math.max(1, deps.lineWait.gateMs)));
    if (endAt - deps.now() > 0 && (await deps.backlog.isSlotWanted(endAt - deps.now(), line))) return;
  }
}

/**
 * Waits for the job of its line before it in this process to let it go, for as long as the
 * line moves here: it stops waiting once no job of the line has let the next go for
 * lineWait.inProcessMs (the job before is stuck), or once its worker slot is wanted for a job
 * of another `line` (looked at every gateMs). Bounded by the line's progress, not by the time
 * since it joined: `auto` concurrency holds more of the quota in waiting jobs (admissionAllowance:
 * 14 s with the defaults) than inProcessMs (10 s), and a job at the back of a line that moved
 * every 25 ms gave up waiting, asked, was told "not yet" and asked again 4 s later: two asks
 * for every image in bench:scale's A, about 12 Redis commands per image more than one.
 */
async function waitForTurn(deps: SlotDeps, gate: { readonly turn: Promise<void>; readonly stillMs: () => number }, line: string): Promise<void> {
  const { turn, stillMs } = gate;
  const state = { isTurn: false };
  void turn.then(() => {
    state.isTurn = true;
  });
  const leftMs = (): number => deps.lineWait.inProcessMs - stillMs();
  while (!state.isTurn && leftMs() > 0 && !(await deps.backlog.isSlotWanted(undefined, line))) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([turn, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(1, Math.min(deps.lineWait.gateMs, leftMs())))))]);
    clearTimeout(timer);
  }
}
