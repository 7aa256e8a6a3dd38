/**
 * npm run chaos — does a batch survive crashing workers, a Redis restart and a flaky service,
 * losing nothing and paying twice only where a crash forces it? Everything local and private:
 * its own redis-server (append-only file on, data in a temporary folder), the simulator with
 * faults on (5 % 500s, 2 % hangs past the client timeout, 1 % connection resets, bursts of
 * 429), two deployments, three `imgbatch worker` processes, 2,000 images. While the batch
 * runs, a random worker is SIGKILLed about every 10 s and replaced, and redis-server is
 * restarted once (SIGTERM, then started again on the same port and folder), the store (Azurite,
 * blobs in a folder) is stopped for 20 s and started again, and redis-server is paused (SIGSTOP)
 * for 3× the job lock, so that every lock held then expires while its call still runs. The batch
 * has a budget (`--max-cost`) the images do not reach: the spend, possibly billed calls
 * included, must stay under it.
 *
 * The verdict comes from the simulator's own record of calls and from what the store and the
 * batch registry hold afterwards (see chaos/chaos-report.ts). A kill pays twice for every call
 * the victim had in flight: the service made (and billed) the image, the answer died with the
 * process. So `duplicates <= kills` holds only while a worker has about one call in flight or
 * fewer, which the defaults give (2 × 600 rpm at ~50 ms a call, three workers); with real
 * latencies (10–60 s) a kill costs every call in flight in that worker. The check that holds
 * at any load is that no duplicate lacks a kill to explain it, and the run checks that too.
 *
 * Prints a table, then one JSON object as the last line. Exits 1 when an image was lost, a
 * stored file differs from its record, more images were paid twice than workers were killed,
 * a duplicate has no kill to explain it, the spend went over the budget, or a store outage or
 * Redis pause that was asked for did not happen. Flags (or CHAOS_<FLAG> variables): see
 * chaos/chaos-options.ts, e.g. `npm run chaos -- --images 200 --keep`.
 */
import { parseChaosOptions } from './chaos/chaos-options.js';
import { runChaos, type ChaosRun } from './chaos/run-chaos.js';

function log(message: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function table(run: ChaosRun): string {
  const { report } = run;
  const byOutcome = Object.entries(report.callsByOutcome)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, count]) => `${outcome} ${String(count)}`)
    .join(', ');
  const rows: Array<[string, string]> = [
    ['images', String(report.images)],
    ['stored (file matches record and prompt)', String(report.stored)],
    ['filtered', String(report.filtered)],
    ['failed with a reason', String(report.failedWithReason)],
    ['lost', String(report.lost)],
    ['calls to the simulator', `${report.calls} (${byOutcome})`],
    ['duplicates (paid twice)', String(report.duplicates)],
    ['  not explained by a kill', String(report.unexplainedDuplicates)],
    ['mismatch (store vs records)', String(report.mismatch)],
    ['registry outcome != store', String(report.outcomeDisagreements)],
    ['unfinished writes left (.tmp)', String(report.tempFiles)],
    ['workers SIGKILLed', String(run.kills)],
    ['workers started', String(run.workersStarted)],
    ['redis-server restarts', String(run.redisRestarts)],
    ['redis-server pauses (SIGSTOP > lock)', String(run.redisPauses)],
    ['store outages (Azurite stopped)', String(run.storeOutages)],
    ['spend incl. possibly billed, USD', `${run.spentUsd.toFixed(4)} (possibly billed ${run.possiblyBilledUsd.toFixed(4)})`],
    ['budget (--max-cost), USD', run.maxCostUsd.toFixed(4)],
    ['over budget, USD', run.overBudgetUsd.toFixed(4)],
    ['429 bursts', String(run.bursts)],
    ['wall time, s', run.wallSeconds.toFixed(1)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

const options = parseChaosOptions(process.argv.slice(2), process.env);
// Ctrl-C ends the run through its cleanup, so no worker or redis-server is left behind.
const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    abort.abort();
  });
}
const run = await runChaos(options, { log, signal: abort.signal, workerLogLevel: process.env.CHAOS_WORKER_LOG_LEVEL ?? 'info' });
const { report } = run;
for (const [what, list] of Object.entries(report.examples)) for (const example of list) log(`${what}: ${example}`);
process.stdout.write(`${table(run)}\n`);
process.stdout.write(
  `${JSON.stringify({
    images: report.images,
    kills: run.kills,
    redis_restarts: run.redisRestarts,
    redis_pauses: run.redisPauses,
    store_outages: run.storeOutages,
    lost: report.lost,
    duplicates: report.duplicates,
    unexplained_duplicates: report.unexplainedDuplicates,
    mismatch: report.mismatch,
    over_budget_usd: Number(run.overBudgetUsd.toFixed(6)),
    wall_s: Number(run.wallSeconds.toFixed(1)),
  })}\n`,
);
const missedFaults = (options.storeOutageMs > 0 && run.storeOutages === 0) || (options.redisPauseMs !== 0 && run.redisPauses === 0);
if (report.lost > 0 || report.mismatch > 0 || report.duplicates > run.kills || report.unexplainedDuplicates > 0 || run.overBudgetUsd > 0 || missedFaults) process.exitCode = 1;
