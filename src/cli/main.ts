import { describeFailure } from './exit-code.js';
import { imgbatchCommand } from './imgbatch-command.js';
import { runCommandLine } from './run-command-line.js';

process.on('uncaughtException', (error) => {
  const failure = describeFailure(error);
  process.stderr.write(`imgbatch: ${failure.message}\n`);
  process.exit(failure.exitCode);
});

// The composition root hands the environment in: NO_COLOR and TERM are how a user turns colour off.
process.exitCode = await runCommandLine(imgbatchCommand, process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
