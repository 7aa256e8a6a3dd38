import type { WorkerSettings } from '../config/config.js';
import { ConfigError } from '../errors/imgbatch-error.js';

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new ConfigError(`--${flag}: "${value}" is not a whole number of at least 1`);
  return parsed;
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
