import type { WorkerSettings } from '../config/config.js';
import { wholeNumberArg } from './whole-number-arg.js';

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : wholeNumberArg(flag, value, 1);
}

/** Worker settings given as command-line flags; they beat the environment and the config file. */
export function workerOverrides(args: { concurrency?: string | undefined; 'images-per-call'?: string | undefined }): Partial<WorkerSettings> {
  const concurrency = args.concurrency === 'auto' ? 'auto' : positiveInteger('concurrency', args.concurrency);
  const imagesPerCall = positiveInteger('images-per-call', args['images-per-call']);
  return {
    ...(concurrency !== undefined && { concurrency }),
    ...(imagesPerCall !== undefined && { imagesPerCall }),
  };
}
