import { defineCommand } from 'citty';
import { batchesCommand } from './commands/batches-command.js';
import { cancelCommand } from './commands/cancel-command.js';
import { deploymentsCommand } from './commands/deployments-command.js';
import { enqueueCommand } from './commands/enqueue-command.js';
import { estimateCommand } from './commands/estimate-command.js';
import { galleryCommand } from './commands/gallery-command.js';
import { resultsCommand } from './commands/results-command.js';
import { resumeCommand } from './commands/resume-command.js';
import { runCommand } from './commands/run-command.js';
import { schedulesCommand } from './commands/schedules-command.js';
import { serveCommand } from './commands/serve-command.js';
import { simulateCommand } from './commands/simulate-command.js';
import { statusCommand } from './commands/status-command.js';
import { tokensCommand } from './commands/tokens-command.js';
import { workerCommand } from './commands/worker-command.js';
import { packageVersion } from './package-version.js';

/** The whole command tree; main.ts runs it. */
export const imgbatchCommand = defineCommand({
  meta: { name: 'imgbatch', version: packageVersion(), description: 'Prompts in, images stored: Azure OpenAI image generation at the quota, each image paid once.' },
  subCommands: {
    run: runCommand,
    enqueue: enqueueCommand,
    estimate: estimateCommand,
    worker: workerCommand,
    status: statusCommand,
    simulate: simulateCommand,
    deployments: deploymentsCommand,
    cancel: cancelCommand,
    serve: serveCommand,
    results: resultsCommand,
    gallery: galleryCommand,
    resume: resumeCommand,
    schedules: schedulesCommand,
    batches: batchesCommand,
    tokens: tokensCommand,
  },
});
