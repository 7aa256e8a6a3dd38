// Writes the job contract (JSON Schema of the image job payload) for producers in other languages.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatJobContract, JOB_CONTRACT_PATH } from '../src/job/job-contract.js';

const target = resolve(dirname(fileURLToPath(import.meta.url)), '..', JOB_CONTRACT_PATH);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, formatJobContract());
process.stdout.write(`wrote ${JOB_CONTRACT_PATH}\n`);
