import { defineCommand } from 'citty';
import { packageVersion } from './package-version.js';

/**
 * The whole command tree; main.ts runs it. Each command's module is imported when that command
 * runs (or its help is shown): a command loads what it uses, not every command's dependencies
 * (the Azure SDKs, the HTTP server, the simulator), so `imgbatch --version` or `status` starts in
 * a fraction of the time.
 */
export const imgbatchCommand = defineCommand({
  meta: { name: 'imgbatch', version: packageVersion(), description: 'Prompts in, images stored: Azure OpenAI image generation at the quota, each image paid once.' },
  subCommands: {
    run: () => import('./commands/run-command.js').then((m) => m.runCommand),
    enqueue: () => import('./commands/enqueue-command.js').then((m) => m.enqueueCommand),
    estimate: () => import('./commands/estimate-command.js').then((m) => m.estimateCommand),
    worker: () => import('./commands/worker-command.js').then((m) => m.workerCommand),
    status: () => import('./commands/status-command.js').then((m) => m.statusCommand),
    simulate: () => import('./commands/simulate-command.js').then((m) => m.simulateCommand),
    deployments: () => import('./commands/deployments-command.js').then((m) => m.deploymentsCommand),
    cancel: () => import('./commands/cancel-command.js').then((m) => m.cancelCommand),
    serve: () => import('./commands/serve-command.js').then((m) => m.serveCommand),
    results: () => import('./commands/results-command.js').then((m) => m.resultsCommand),
    gallery: () => import('./commands/gallery-command.js').then((m) => m.galleryCommand),
    resume: () => import('./commands/resume-command.js').then((m) => m.resumeCommand),
    schedules: () => import('./commands/schedules-command.js').then((m) => m.schedulesCommand),
    batches: () => import('./commands/batches-command.js').then((m) => m.batchesCommand),
    tokens: () => import('./commands/tokens-command.js').then((m) => m.tokensCommand),
  },
});
