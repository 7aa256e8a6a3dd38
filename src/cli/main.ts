import { defineCommand, runMain } from 'citty';
import { ImgbatchError } from '../errors/imgbatch-error.js';
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
import { workerCommand } from './commands/worker-command.js';
import { withTypedErrors } from './with-typed-errors.js';

const main = defineCommand({
  meta: { name: 'imgbatch', version: '0.1.0', description: 'Prompts in, images stored: Azure OpenAI image generation at the quota, each image paid once.' },
  subCommands: {
    run: withTypedErrors(runCommand),
    enqueue: withTypedErrors(enqueueCommand),
    estimate: withTypedErrors(estimateCommand),
    worker: withTypedErrors(workerCommand),
    status: withTypedErrors(statusCommand),
    simulate: withTypedErrors(simulateCommand),
    deployments: deploymentsCommand,
    cancel: withTypedErrors(cancelCommand),
    serve: withTypedErrors(serveCommand),
    results: withTypedErrors(resultsCommand),
    gallery: withTypedErrors(galleryCommand),
    resume: withTypedErrors(resumeCommand),
    schedules: schedulesCommand,
  },
});

process.on('uncaughtException', (error) => {
  process.stderr.write(`imgbatch: ${error instanceof ImgbatchError ? error.message : (error.stack ?? error.message)}\n`);
  process.exit(1);
});

await runMain(main);
