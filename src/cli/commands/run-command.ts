import { hostname } from 'node:os';
import { defineCommand } from 'citty';
import type { BatchSummary } from '../../batch/batch-registry.js';
import { loadConfig } from '../../config/load-config.js';
import { servesRequest, type DeploymentConfig } from '../../config/deployment-config.js';
import { openConfiguredInputReader } from '../../inputs/open-configured-input-reader.js';
import type { ImageRequest } from '../../job/image-request.js';
import { createSlotLimiter, type SlotLimiter } from '../../limiter/slot-limiter.js';
import { createLogger } from '../../log/logger.js';
import { createJobState } from '../../queue/job-state.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createProducer } from '../../queue/producer.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';
import { demoSimulatorOptions } from '../../simulator/demo-simulator-options.js';
import { createImageWorker } from '../../worker/image-worker.js';
import { batchPrefix } from '../batch-prefix.js';
import { closeInOrder } from '../close-in-order.js';
import { budgetVerdictLine } from '../budget-verdict-line.js';
import { csvIngestArgs, describeCheck, enqueueCsvFile, planCsvIngest, reportNotices, reportRejections, saveRejects } from '../csv-ingest.js';
import { estimateCsvFile } from '../estimate-csv-file.js';
import type { CommandOutcome } from '../exit-code.js';
import { formatEstimate } from '../format-estimate.js';
import { maxCostArgs, parseMaxCost } from '../max-cost-arg.js';
import { callbackArgs, parseCallback } from '../callback-arg.js';
import { parsePriority, priorityArgs } from '../priority-arg.js';
import { openRuntime } from '../open-runtime.js';
import { createProgressReporter } from '../progress-reporter.js';
import { redactUrl } from '../redact-url.js';
import { reenqueueLines } from '../reenqueue-lines.js';
import { buildRunSummary, formatRunSummary } from '../run-summary.js';
import { workerOverrides } from '../worker-overrides.js';
import { formatWebhookDeliveries } from '../format-webhook-deliveries.js';
import { awaitWebhookDeliveries } from '../../webhooks/await-webhook-deliveries.js';
import { createWebhookDeliveryLog } from '../../webhooks/webhook-delivery-state.js';
import { createWebhookService, type WebhookService } from '../../webhooks/webhook-service.js';

/**
 * How long `run` waits, after the batch ended, for its webhook events to be delivered. A
 * receiver that answers in time takes well under a second; one that fails is retried with
 * backoff for a day, by whichever worker runs on this Redis.
 */
const WEBHOOK_WAIT_MS = 30_000;

/** The deployments of this run that are paused now, with the reason each was paused for. */
async function pausedDeployments(limiter: SlotLimiter, deployments: ReadonlyArray<Pick<DeploymentConfig, 'name'>>): Promise<Array<{ name: string; reason: string }>> {
  const states = await Promise.all(deployments.map(async (d) => ({ name: d.name, state: await limiter.checkCallable(d.name) })));
  return states.flatMap(({ name, state }) => (state.kind === 'paused' ? [{ name, reason: state.reason }] : []));
}

/** Says why no deployment of this run would serve a request, so the row is refused up front. */
function servedBy(deployments: ReadonlyArray<Pick<DeploymentConfig, 'name' | 'model' | 'pools'>>): (request: ImageRequest) => string | undefined {
  return (request) => {
    if (deployments.some((d) => servesRequest(d, request))) return undefined;
    const configured = deployments.map((d) => `${d.name} (${d.model})`).join(', ') || 'none';
    const wanted = request.pool === undefined ? `"${request.model}"` : `"${request.model}" in pool "${request.pool}"`;
    return `no configured deployment serves ${wanted} (configured: ${configured})`;
  };
}

export const runCommand = defineCommand({
  meta: {
    name: 'run',
    description:
      'Enqueue a CSV of prompts, work it to the end in this process, and print a summary. Without Azure settings it uses the embedded simulator. Exit code 0 only if every image ended stored or filtered.',
  },
  args: {
    csv: { type: 'positional', description: 'CSV file with columns id, prompt, n, model, size, quality, style', required: true },
    batch: { type: 'string', description: 'Batch id (default: the file name)' },
    ...csvIngestArgs,
    ...maxCostArgs,
    ...callbackArgs,
    ...priorityArgs,
    output: { type: 'string', description: 'Result folder (default ./output, or IMGBATCH_OUTPUT_DIR)' },
    concurrency: { type: 'string', description: 'Calls in flight at once, or auto (default auto: summed quota × 60 s calls, at least 32)' },
    'images-per-call': { type: 'string', description: 'Images per call for models that take n > 1 (default 1)' },
    json: { type: 'boolean', description: 'Print the summary as one JSON object on stdout (progress and the summary for people go to stderr)', default: false },
    verbose: { type: 'boolean', description: 'Log every job event (JSON lines on stderr)', default: false },
  },
  async run({ args }): Promise<CommandOutcome> {
    const startedAt = performance.now();
    // With --json, stdout carries the one JSON value only; the account for people goes to stderr.
    const human = args.json ? process.stderr : process.stdout;
    const config = loadConfig({
      overrides: { worker: workerOverrides(args), ...(args.output !== undefined && { outputDir: args.output }) },
    });
    const plan = planCsvIngest(args, config.store);
    const maxCostUsd = parseMaxCost(args['max-cost']);
    const callback = parseCallback(args, config.webhooks.policy);
    const priority = parsePriority(args.priority);
    if (plan.isDryRun || plan.isStrict) {
      // Checked before anything starts: a dry run or a refused file starts no Redis and no simulator.
      const deployments = config.usesSimulator ? (demoSimulatorOptions(config.models, Date.now()).deployments ?? []).map((d) => ({ name: d.name, model: d.model, pools: [] })) : config.deployments;
      const { check, estimate, isSimulator } = await estimateCsvFile(plan, config, { checkServed: servedBy(deployments) });
      if (plan.isDryRun || check.rejected.length > 0) {
        const rejectsFile = await saveRejects(plan, check.rejected);
        reportRejections(check.rejected, rejectsFile);
        reportNotices(check.notices);
        const verdict = plan.isDryRun ? 'dry run, nothing enqueued' : '--strict: nothing enqueued because rows were refused';
        human.write(`${describeCheck(plan.batchId, check)} (${verdict})\n${formatEstimate(estimate, { isSimulator })}\n`);
        if (maxCostUsd !== undefined) human.write(`${budgetVerdictLine(estimate.expectedCostUsd, maxCostUsd)}\n`);
        if (args.json) {
          process.stdout.write(
            `${JSON.stringify({ batchId: plan.batchId, inputs: check.inputs, accepted: check.accepted, invalidRows: check.rejected.length, jobs: check.jobs, images: check.images, enqueued: false, estimate })}\n`,
          );
        }
        return check.rejected.length > 0 ? 'incomplete' : 'done';
      }
    }
    const logger = createLogger({ level: args.verbose ? 'debug' : 'warn' });
    const runtime = await openRuntime(config, logger);
    const prefix = batchPrefix(config);
    const inputReader = await openConfiguredInputReader(config, runtime.store);
    const producer = createProducer({
      connection: redisTargetOf(config, runtime.redis.url),
      prefix,
      imagesPerCall: config.worker.imagesPerCall,
      models: config.models,
      logger,
      editInputs: { store: runtime.store, reader: inputReader },
      batchRetentionSeconds: config.batchRetentionSeconds,
    });
    const workerConnection = createRedisClient(redisTargetOf(config, runtime.redis.url), 'worker');
    const keys = createKeySpace(prefix);
    const limiter = createSlotLimiter(workerConnection, keys, config.limiter);
    const worker = createImageWorker({
      connection: workerConnection,
      prefix,
      deployments: runtime.deployments,
      store: runtime.store,
      settings: config.worker,
      limiter: config.limiter,
      prices: config.prices,
      inputReader,
      models: config.models,
      fetch: config.fetch,
      batchRetentionSeconds: config.batchRetentionSeconds,
      logger,
    });
    // With a callback, this process delivers the batch's events too, as `imgbatch worker` does.
    const webhooks: WebhookService | undefined =
      callback === undefined ? undefined : createWebhookService({ connection: workerConnection, prefix, settings: config.webhooks, consumerName: `${hostname()}:${process.pid}:run`, logger });
    // The worker first: its calls in flight still use the connection, the store and the simulator.
    const closeAll = (): Promise<void> =>
      closeInOrder([() => worker.close(), async () => webhooks?.close(), () => workerConnection.quit(), () => producer.close(), () => runtime.close()]);
    // An object, not a let: the signal handler sets it behind the type checker's back.
    const stop = { requested: false };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stop.requested) return;
      stop.requested = true;
      process.stderr.write(`\n${signal}: stopping; calls in flight finish, the rest stays queued for the next run\n`);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    let outcome: CommandOutcome;
    try {
      for (const d of runtime.deployments) {
        const state = await limiter.checkCallable(d.name);
        if (state.kind === 'paused') {
          process.stderr.write(`warning: deployment ${d.name} is paused: ${state.reason}\n  resume it with: imgbatch deployments resume ${d.name}\n`);
        }
      }
      const batchId = plan.batchId;
      const before: BatchSummary = await producer.batches.summary(batchId);
      const batch = { producer, store: runtime.store, jobState: createJobState(workerConnection, keys) };
      const enqueued = await enqueueCsvFile(plan, batch, { checkServed: servedBy(runtime.deployments), progress: process.stderr, maxCostUsd, redoChanged: args['redo-changed'], callback, priority });
      reportRejections(enqueued.rejected, await saveRejects(plan, enqueued.rejected));
      reportNotices(enqueued.notices);
      process.stderr.write(
        `enqueued batch ${batchId}: ${enqueued.accepted} rows, ${enqueued.imagesAdded} new images in ${enqueued.jobsAdded} jobs` +
          (enqueued.jobsAlreadyQueued > 0 ? `, ${enqueued.jobsAlreadyQueued} jobs already known` : '') +
          (enqueued.rejected.length > 0 ? `, ${enqueued.rejected.length} rows refused` : '') +
          '\n',
      );

      for (const line of reenqueueLines(enqueued)) process.stderr.write(`${line}\n`);

      // Every deployment of this run may take the batch's calls, so their summed rate is the pace to expect.
      const quotaPerMinute = runtime.deployments.reduce((sum, d) => sum + d.ratePerMinute, 0);
      const progress = createProgressReporter(process.stderr, { baseline: before, quotaPerMinute, imagesPerCall: config.worker.imagesPerCall });
      let summary = await producer.batches.summary(batchId);
      let stopReason: string | undefined;
      while (summary.pending > 0 && !stop.requested) {
        progress.update(summary);
        await new Promise((resolve) => setTimeout(resolve, 250));
        // Job counts before the summary: a job that ends between the two reads then shows as an outcome, not as a job gone missing.
        const [open, paused] = await Promise.all([
          producer.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
          pausedDeployments(limiter, runtime.deployments),
        ]);
        summary = await producer.batches.summary(batchId);
        if (summary.pending === 0) break;
        if (runtime.deployments.length > 0 && paused.length === runtime.deployments.length) {
          stopReason = `every deployment is paused, so nothing can be made:\n${paused.map((p) => `  ${p.name}: ${p.reason}\n  resume with: imgbatch deployments resume ${p.name}`).join('\n')}`;
          break;
        }
        // Jobs can end without an outcome only through a crash BullMQ gave up on; do not wait forever.
        if (Object.values(open).every((count) => count === 0)) {
          stopReason = 'no job of this batch is left in the queue, yet some images have no outcome';
          break;
        }
      }
      progress.update(summary);
      progress.done();
      if (stopReason !== undefined) process.stderr.write(`stopped waiting: ${stopReason}\n`);

      const pausedAtEnd = await pausedDeployments(limiter, runtime.deployments);
      // A signal that came after the last image had its outcome interrupted nothing.
      const isInterrupted = stop.requested && summary.pending > 0;
      const result = buildRunSummary({
        before,
        after: summary,
        invalidRows: enqueued.rejected.length,
        wallMs: performance.now() - startedAt,
        output: runtime.store.description,
        redis: `${redactUrl(runtime.redis.url)} (${runtime.redis.source})`,
        endpoint:
          runtime.simulator === undefined
            ? [...new Set(runtime.deployments.map((d) => d.endpoint))].join(', ')
            : `${runtime.simulator.url} (embedded simulator)`,
        pausedDeployments: pausedAtEnd,
        isInterrupted,
      });
      if (result.failed + result.rejected + result.skipped + result.cancelled > 0) {
        const [errors, reasons] = await Promise.all([producer.batches.errors(batchId), producer.batches.reasons(batchId)]);
        // One line for the budget, however many images it stopped: each says the same.
        const isOverBudget = (key: string): boolean => reasons[key] === 'budget_exceeded';
        const overBudget = Object.entries(errors).filter(([key]) => isOverBudget(key));
        for (const [key, message] of Object.entries(errors)) if (!isOverBudget(key)) process.stderr.write(`${key}: ${message}\n`);
        const [firstOver] = overBudget;
        if (firstOver !== undefined) process.stderr.write(`${overBudget.length} images skipped, e.g. ${firstOver[0]}: ${firstOver[1]}\n`);
      }
      if (webhooks !== undefined && summary.pending === 0) {
        // The batch ended: its batch.ended event (and per-image ones) go out before this process does.
        const { deliveries, isSettled } = await awaitWebhookDeliveries(createWebhookDeliveryLog(workerConnection, keys), batchId, {
          timeoutMs: WEBHOOK_WAIT_MS,
          // A second Ctrl-C is not needed to leave: the first one stops the wait too.
          isCancelled: () => stop.requested,
        });
        process.stderr.write(formatWebhookDeliveries(deliveries));
        if (!isSettled) {
          const left = deliveries.filter((d) => d.status === 'pending' || d.status === 'retrying').length;
          process.stderr.write(
            `webhooks: ${left === 0 ? 'the batch.ended event was not handed over' : `${left} event(s) still pending or retrying`}${stop.requested ? ' (stopped by a signal)' : ` after ${WEBHOOK_WAIT_MS / 1000} s`}; ` +
              (runtime.redis.source === 'started'
                ? 'they are lost with the Redis this run started and stops; run against a lasting Redis (REDIS_URL) with `imgbatch worker` to have them retried\n'
                : 'they stay queued in Redis, and `imgbatch worker` on the same Redis delivers them\n'),
          );
        }
      }
      human.write(`${formatRunSummary(result)}\n`);
      if (args.json) process.stdout.write(`${JSON.stringify({ ...result, changed: enqueued.changed })}\n`);
      outcome = isInterrupted ? 'interrupted' : result.ok ? 'done' : 'incomplete';
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await closeAll();
    }
    return outcome;
  },
});
