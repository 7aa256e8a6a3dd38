import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IMAGE_JOB_NAME, IMAGE_QUEUE_NAME } from '../../../src/job/image-job.js';
import { buildJobContract, formatJobContract, JOB_CONTRACT_PATH } from '../../../src/job/job-contract.js';

describe('the job contract (JSON Schema for producers in other languages)', () => {
  it(`the committed ${JOB_CONTRACT_PATH} is what the generator produces now (run \`npm run contract\` after changing imageJobSchema)`, async () => {
    const committed = await readFile(JOB_CONTRACT_PATH, 'utf8');
    expect(committed).toBe(formatJobContract());
  });

  it('names the queue, the job name, the key prefix and the job id format', () => {
    const contract = buildJobContract();
    expect(contract).toMatchObject({ $id: 'urn:imgbatch:contracts:image-job:v1', $schema: 'https://json-schema.org/draft/2020-12/schema' });
    expect(contract.description).toContain(`queue "${IMAGE_QUEUE_NAME}"`);
    expect(contract.description).toContain(`job name "${IMAGE_JOB_NAME}"`);
    expect(contract.description).toContain('key prefix "{imgbatch}"');
    expect(contract.description).toContain('<batchId>/<requestId>/v<variant>');
  });

  it('refuses unknown fields and requires what the worker requires', () => {
    const contract = buildJobContract();
    expect(contract.additionalProperties).toBe(false);
    expect(contract.required).toEqual(['v', 'batchId', 'requestId', 'variants', 'prompt', 'model', 'size', 'quality', 'enqueuedAt']);
  });
});
