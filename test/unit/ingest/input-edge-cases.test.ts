import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { readCsvRequests } from '../../../src/ingest/read-csv-requests.js';
import { fanOut } from '../../../src/job/fan-out.js';
import { imageJobSchema } from '../../../src/job/image-job.js';
import { createJobPreparer, type RequestInput } from '../../../src/job/prepare-jobs.js';
import { detectImageType } from '../../../src/worker/image-type.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/csv/${name}`, import.meta.url));
async function readAll(path: string): Promise<RequestInput[]> {
  const inputs: RequestInput[] = [];
  for await (const input of readCsvRequests(path)) inputs.push(input);
  return inputs;
}
const dir = mkdtempSync(join(tmpdir(), 'should-be-'));

describe('CSV rows after blank lines', () => {
  it('rows after blank lines keep their spreadsheet row numbers', async () => {
    const inputs = await readAll(fixture('blank-lines.csv'));
    expect(inputs.map((each) => each.location)).toEqual(['row 3', 'row 6']);
  });
});

describe('a CSV file that does not exist', () => {
  it('a missing file rejects with ENOENT instead of hanging', async () => {
    await expect(readAll(join(dir, 'missing.csv'))).rejects.toThrow(/ENOENT/);
  }, 2_000);
});

describe('empty environment variables', () => {
  it('empty variables (docker compose ${X:-}) count as unset', () => {
    const config = loadConfig({
      cwd: dir,
      env: {
        AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com/', AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1-mini',
        IMGBATCH_MODEL: '', IMGBATCH_RATE_PER_MINUTE: '', IMGBATCH_CONFIG: '',
      },
    });
    expect(config.deployments.map((d) => [d.model, d.ratePerMinute])).toEqual([['gpt-image-1-mini', 12]]);
    expect(loadConfig({ cwd: dir, env: { AZURE_OPENAI_ENDPOINT: '', AZURE_OPENAI_API_KEY: '', AZURE_OPENAI_DEPLOYMENT_NAME: '', IMGBATCH_CONFIG: '' } }).usesSimulator).toBe(true);
  });
});

describe('a request missing a required field', () => {
  it.each([
    [{ model: 'gpt-image-1' }, 'prompt'],
    [{ prompt: 'A mug' }, 'model'],
  ])('a missing required field reads well: %j', (request, field) => {
    const result = createJobPreparer({ batchId: 'b' }).prepare({ request, location: 'row 3', defaultId: 'row-3' });
    const issue = result.kind === 'rejected' ? result.rejection.issues[0] : undefined;
    expect(issue?.field).toBe(field);
    expect(issue?.reason).not.toMatch(/Invalid input/);
  });
});

describe('a fractional n in a CSV', () => {
  it('n "2.5" from a CSV reads "2.5 is not a whole number"', async () => {
    const path = join(dir, 'fraction.csv');
    writeFileSync(path, 'prompt,n,model\nA mug,2.5,gpt-image-1\n');
    const [input] = await readAll(path);
    const result = input === undefined ? undefined : createJobPreparer({ batchId: 'b' }).prepare(input);
    expect(result?.kind === 'rejected' && result.rejection.issues.map((i) => i.reason)).toEqual(['2.5 is not a whole number']);
  });
});

describe('the loaded config', () => {
  it('deployment entries and their auth are frozen too', () => {
    const config = loadConfig({ cwd: dir, env: { AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com/', AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1' } });
    for (const deployment of config.deployments) {
      expect(Object.isFrozen(deployment)).toBe(true);
      expect(Object.isFrozen(deployment.auth)).toBe(true);
    }
  });
});

describe('fan-out with an odd imagesPerCall', () => {
  it.each([[2.5], [Number.NaN]])('imagesPerCall %d still gives valid jobs covering every image once', (imagesPerCall) => {
    const jobs = fanOut({ prompt: 'p', model: 'gpt-image-1', n: 3 }, { batchId: 'b', models: BUILT_IN_CATALOGUE, defaultRequestId: 'r', imagesPerCall, enqueuedAt: 0 });
    expect(jobs.flatMap((job) => job.variants)).toEqual([0, 1, 2]);
    for (const job of jobs) expect(imageJobSchema.safeParse(job).success).toBe(true);
  });
});

describe('image type detection', () => {
  it('a RIFF file that is not WEBP (WAV) falls back to the hint', () => {
    const wav = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x41, 0x56, 0x45]);
    expect(detectImageType(wav, 'jpeg')).toEqual({ contentType: 'image/jpeg', extension: 'jpeg' });
  });
});

describe('spreadsheet filler rows', () => {
  it('rows of only spaces or only commas (spreadsheet exports) are skipped like blank lines', async () => {
    const path = join(dir, 'ws.csv');
    writeFileSync(path, 'id,prompt,model\na,A mug,gpt-image-1\n   \n,,\nb,A lamp,gpt-image-1\n');
    expect((await readAll(path)).map((each) => each.location)).toEqual(['row 2', 'row 5']);
  });
});
