import type { EditCallInputs } from '../../azure/edit-images.js';
import { servesRequest, type DeploymentConfig } from '../../config/deployment-config.js';
import type { InputReader } from '../../inputs/input-reader.js';
import type { Logger } from '../../log/logger.js';
import type { ModelCatalogue } from '../../models/model-catalogue.js';
import type { JobCounters } from '../../queue/job-state.js';
import { loadEditInputs } from '../load-edit-inputs.js';
import { nextStep, type RetrySettings } from '../retry-policy.js';
import type { StoppingStep } from './carry-out-step.js';
import type { JobContext } from './job-context.js';

export interface AdmitDeps {
  readonly deployments: readonly DeploymentConfig[];
  readonly models: ModelCatalogue;
  readonly inputReader: InputReader;
  readonly settings: RetrySettings;
  readonly logger: Logger;
  readonly now: () => number;
}

export type Admission =
  | { readonly kind: 'admitted'; readonly candidates: readonly DeploymentConfig[]; readonly editInputs: EditCallInputs | undefined }
  | { readonly kind: 'stopped'; readonly step: StoppingStep };

/**
 * The first half of admission, before any budget or slot is taken: has the job waited too
 * long, does a deployment here serve it, and (for an edit) are its inputs still the ones
 * enqueued. An input gone or changed ends its images with the reason and no call; the bytes
 * read are kept for the call, so what is sent is what was hashed.
 */
export async function admitJob(deps: AdmitDeps, ctx: JobContext, counters: JobCounters): Promise<Admission> {
  const { data } = ctx;
  const queued = nextStep({ kind: 'queued', waitedMs: deps.now() - data.enqueuedAt }, counters, deps.settings);
  if (queued.kind !== 'proceed' && queued.kind !== 'keep_filtered') return { kind: 'stopped', step: queued };
  const candidates = deps.deployments.filter((d) => servesRequest(d, data));
  if (candidates.length === 0) {
    const wanted = data.pool === undefined ? `model ${data.model}` : `model ${data.model} in pool ${data.pool}`;
    deps.logger.warn({ jobId: ctx.jobId, model: data.model, pool: data.pool }, `no deployment configured in this worker serves ${wanted}; leaving the job for a worker that has one`);
    return stopped(nextStep({ kind: 'no_deployment_here', wanted }, counters, deps.settings));
  }
  if (data.edit === undefined) return { kind: 'admitted', candidates, editInputs: undefined };
  const limits = deps.models.find(data.model)?.edits;
  if (limits === undefined) {
    return { kind: 'stopped', step: { kind: 'fail', outcome: 'rejected', reason: 'invalid_job', message: `${data.model} cannot edit images` } };
  }
  const loaded = await loadEditInputs(deps.inputReader, data.edit, limits);
  switch (loaded.kind) {
    case 'unavailable':
      return stopped(nextStep({ kind: 'input_unavailable', message: loaded.reason }, counters, deps.settings));
    case 'refused':
      deps.logger.warn({ jobId: ctx.jobId, outcome: loaded.outcome, reason: loaded.reason }, 'edit input refused; no call made');
      return { kind: 'stopped', step: { kind: 'fail', outcome: loaded.outcome, reason: 'input_refused', message: loaded.reason } };
    case 'loaded':
      return { kind: 'admitted', candidates, editInputs: loaded.inputs };
  }
}

/** A setback before a call always stops the run (the policy never says `proceed` to these). */
export function stopped(step: ReturnType<typeof nextStep>): { readonly kind: 'stopped'; readonly step: StoppingStep } {
  if (step.kind === 'proceed' || step.kind === 'keep_filtered') throw new Error(`retry policy answered ${step.kind} to a setback that stops the job`);
  return { kind: 'stopped', step };
}
