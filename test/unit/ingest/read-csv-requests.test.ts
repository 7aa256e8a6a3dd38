import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePromptTemplate } from '../../../src/ingest/prompt-template.js';
import { readCsvRequests, type CsvRequestOptions } from '../../../src/ingest/read-csv-requests.js';
import { createJobPreparer, type RequestInput } from '../../../src/job/prepare-jobs.js';

function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/csv/${name}`, import.meta.url));
}

async function readAll(path: string, options?: CsvRequestOptions): Promise<RequestInput[]> {
  const inputs: RequestInput[] = [];
  for await (const input of readCsvRequests(path, options)) inputs.push(input);
  return inputs;
}

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgbatch-csv-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeCsv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readCsvRequests on requests.csv (UTF-8 BOM, CRLF, mixed-case headers, quoted and unicode prompts)', () => {
  it('yields one request per row, numbered as a spreadsheet shows it, with row-<n> default ids', async () => {
    const inputs = await readAll(fixture('requests.csv'));
    expect(inputs.map((each) => [each.location, each.defaultId])).toEqual([
      ['row 2', 'row-2'],
      ['row 3', 'row-3'],
      ['row 4', 'row-4'],
      ['row 5', 'row-5'],
    ]);
  });

  it('maps columns to request fields, carries extra columns as metadata and omits empty cells', async () => {
    const [mug, poster, cafe, bell] = (await readAll(fixture('requests.csv'))).map((each) => each.request);
    expect(mug).toEqual({
      id: 'mug-red',
      prompt: 'Studio photo of a red mug, on white, high key',
      n: 1,
      model: 'gpt-image-1-mini',
      size: '1024x1024',
      quality: 'medium',
      metadata: { sku: 'SKU-001', campaign: 'spring' },
    });
    expect(poster).toEqual({
      id: 'poster',
      prompt: 'A poster that reads\r\n"SPRING SALE", in two lines',
      n: 3,
      model: 'gpt-image-1',
      size: '1536x1024',
      outputFormat: 'jpeg',
      metadata: { sku: 'SKU-002' },
    });
    expect(cafe).toEqual({ prompt: 'Ein Café in Zürich bei Nacht — 夜の東京 🌃', model: 'dall-e-3', quality: 'hd', style: 'natural' });
    expect(bell).toEqual({ id: 'icon-bell', prompt: 'Flat vector icon of a bell', n: 'two', model: 'gpt-image-1-mini', quality: 'low' });
  });

  it('reads the BOM-prefixed first header as "id", not "\\uFEFFid"', async () => {
    const [first] = await readAll(fixture('requests.csv'));
    expect(first?.request).toHaveProperty('id', 'mug-red');
  });

  it('a cell of digits in n becomes a number; "two" stays text for validation to name', async () => {
    const ns = (await readAll(fixture('requests.csv'))).map((each) => (each.request as Record<string, unknown>).n);
    expect(ns).toEqual([1, 3, undefined, 'two']);
  });

  it('rows with an empty model take the default model; rows with one keep it', async () => {
    const path = writeCsv('default-model.csv', 'prompt,model\nA mug,\nA lamp,dall-e-3\n');
    const models = (await readAll(path, { defaultModel: 'gpt-image-1-mini' })).map((each) => (each.request as Record<string, unknown>).model);
    expect(models).toEqual(['gpt-image-1-mini', 'dall-e-3']);
  });
});

describe('readCsvRequests on other shapes', () => {
  it('skips blank lines between rows', async () => {
    const inputs = await readAll(fixture('blank-lines.csv'));
    expect(inputs.map((each) => each.request)).toEqual([
      { id: 'first', prompt: 'A red mug', model: 'gpt-image-1-mini' },
      { id: 'second', prompt: 'A blue mug', model: 'gpt-image-1-mini' },
    ]);
  });

  it('trims cells and headers except the prompt, and turns padded digits into numbers', async () => {
    const path = writeCsv('padded.csv', ' Prompt , N ,  MODEL \n  A mug  , 2 , gpt-image-1 \n');
    expect((await readAll(path))[0]?.request).toEqual({ prompt: '  A mug  ', n: 2, model: 'gpt-image-1' });
  });

  it.each([
    ['3', 3],
    ['-1', -1],
    ['0', 0],
    ['two', 'two'],
    ['2.5', 2.5],
  ])('output_compression and n read %j as %j', async (cell, value) => {
    const path = writeCsv(`numeric-${cell}.csv`, `prompt,n,output_compression\nA mug,${cell},${cell}\n`);
    expect((await readAll(path))[0]?.request).toEqual({ prompt: 'A mug', n: value, outputCompression: value });
  });

  it('a header-only file yields nothing', async () => {
    expect(await readAll(writeCsv('header-only.csv', 'id,prompt,model\r\n'))).toEqual([]);
  });

  it('a quote that is never closed rejects instead of swallowing the rest of the file', async () => {
    const path = writeCsv('unclosed.csv', 'id,prompt,model\na,"unclosed,gpt-image-1\nb,A mug,gpt-image-1\n');
    await expect(readAll(path)).rejects.toThrow(/Quote Not Closed/);
  });
});

describe('readCsvRequests with createJobPreparer on bad-rows.csv', () => {
  const EXPECTED_REJECTIONS: ReadonlyArray<readonly [string, string]> = [
    ['row 3', 'prompt'],
    ['row 4', 'n'],
    ['row 6', 'n'],
    ['row 7', 'n'],
    ['row 8', 'n'],
    ['row 9', 'n'],
    ['row 10', 'model'],
    ['row 11', 'size'],
    ['row 12', 'prompt'],
    ['row 13', 'id'],
    ['row 14', 'style'],
    ['row 16', 'id'],
  ];

  const EXPECTED_REASONS: ReadonlyArray<readonly [string, string]> = [
    ['row 4', '0 is below the minimum of 1'],
    ['row 6', '11 is over the maximum of 10'],
    ['row 7', '-1 is below the minimum of 1'],
    ['row 8', '"two" is not a number'],
    ['row 10', '"dall-e-2" is not a known image model'],
    ['row 11', '"1792x1024" is not allowed for gpt-image-1'],
    ['row 12', "4001 characters is over dall-e-3's limit of 4000"],
    ['row 13', '"good-first" is already used by row 2'],
    ['row 14', '"vivid" is not allowed for gpt-image-1'],
    ['row 16', 'may hold only letters, digits'],
  ];

  async function prepareFixture(): Promise<{ accepted: Array<[string, string]>; rejected: Array<[string, string[], string[]]> }> {
    const preparer = createJobPreparer({ batchId: 'bad-rows', now: 0 });
    const accepted: Array<[string, string]> = [];
    const rejected: Array<[string, string[], string[]]> = [];
    for await (const input of readCsvRequests(fixture('bad-rows.csv'))) {
      const result = preparer.prepare(input);
      if (result.kind === 'accepted') accepted.push([input.location, result.jobs[0]?.requestId ?? '']);
      else {
        rejected.push([
          result.rejection.location,
          result.rejection.issues.map((issue) => issue.field),
          result.rejection.issues.map((issue) => issue.reason),
        ]);
      }
    }
    return { accepted, rejected };
  }

  it('reports each bad row exactly once, with its spreadsheet row number and field', async () => {
    const { rejected } = await prepareFixture();
    expect(rejected.map(([location, fields]) => [location, fields])).toEqual(EXPECTED_REJECTIONS.map(([location, field]) => [location, [field]]));
  });

  it.each(EXPECTED_REASONS)('%s says %j', async (location, reason) => {
    const { rejected } = await prepareFixture();
    const rejection = rejected.find(([where]) => where === location);
    expect(rejection?.[2][0]).toContain(reason);
  });

  it('accepts the good rows around them, counting a quoted multi-line prompt as one row', async () => {
    const { accepted } = await prepareFixture();
    expect(accepted).toEqual([
      ['row 2', 'good-first'],
      ['row 5', 'good-multiline'],
      ['row 15', 'row-15'],
      ['row 17', 'good-last'],
    ]);
  });
});

describe('readCsvRequests: header aliases (aliases.csv: BOM, CRLF, SKU/Text/Count/"Deployment Model")', () => {
  it('fills fields from aliases, case-insensitively, with spaces read as "_", and keeps other columns as metadata', async () => {
    const [mug] = await readAll(fixture('aliases.csv'));
    expect(mug?.request).toEqual({
      id: 'mug-red',
      prompt: 'A red mug, studio photo',
      n: 2,
      model: 'gpt-image-1-mini',
      metadata: { product: 'mug', colour: 'red', campaign: 'spring' },
    });
  });

  it('numbers rows as a spreadsheet shows them, skipping the blank one', async () => {
    expect((await readAll(fixture('aliases.csv'))).map((each) => each.location)).toEqual(['row 2', 'row 3', 'row 5']);
  });

  it("carries each row's header and cells as written, for a rejects file", async () => {
    const [, lamp] = await readAll(fixture('aliases.csv'));
    expect(lamp?.original).toEqual({
      columns: ['SKU', 'Text', 'Count', 'Deployment Model', 'Product', 'Colour', 'Campaign'],
      values: ['lamp-blue', 'A lamp\r\non a desk', '1', 'gpt-image-1', 'lamp', '', 'summer'],
    });
  });

  it("a field's own column beats its aliases, and the best alias beats the others, which stay metadata", async () => {
    const path = writeCsv('both.csv', 'description,id,Text,SKU,model\nA tall vase,v1,A vase,S-1,gpt-image-1-mini\n');
    expect((await readAll(path))[0]?.request).toEqual({ id: 'v1', prompt: 'A vase', model: 'gpt-image-1-mini', metadata: { description: 'A tall vase', sku: 'S-1' } });
  });

  it.each([
    ['id', ['id', 'sku', 'key', 'request_id']],
    ['prompt', ['prompt', 'text', 'description']],
    ['n', ['n', 'count', 'num_images']],
    ['model', ['model', 'deployment_model', 'model_id']],
  ])('%s is filled by any of %j', async (field, aliases) => {
    for (const alias of aliases) {
      const value = field === 'n' ? '2' : field === 'model' ? 'gpt-image-1' : 'x1';
      const path = writeCsv(`alias-${alias}.csv`, `${alias.toUpperCase()}\n${value}\n`);
      expect((await readAll(path))[0]?.request).toEqual({ [field]: field === 'n' ? 2 : value });
    }
  });
});

describe('readCsvRequests with input images (edits)', () => {
  it('reads image (several separated by "|"), mask and input_fidelity into the request', async () => {
    const path = writeCsv(
      'edits.csv',
      'id,prompt,model,image,mask,input_fidelity\nmug,Make it blue,gpt-image-1,photos/mug.png,masks/mug.png,high\nset,Put them together, gpt-image-1.5 , a.png | https://example.com/b.jpg |,,\n',
    );
    expect((await readAll(path)).map((each) => each.request)).toEqual([
      { id: 'mug', prompt: 'Make it blue', model: 'gpt-image-1', images: ['photos/mug.png'], mask: 'masks/mug.png', inputFidelity: 'high' },
      { id: 'set', prompt: 'Put them together', model: 'gpt-image-1.5', images: ['a.png', 'https://example.com/b.jpg'] },
    ]);
  });

  it.each([['images'], ['input_images'], ['Input Image']])('a column named %j holds input images too', async (header) => {
    const path = writeCsv(`alias-${header}.csv`, `prompt,model,${header}\nEdit,gpt-image-1,shot.jpg\n`);
    expect((await readAll(path))[0]?.request).toMatchObject({ images: ['shot.jpg'] });
  });

  it('an images column of counts (once an alias of n) is a row error that says so, not a file name and not a count', async () => {
    const path = writeCsv('counts.csv', 'prompt,model,images\nA red mug,gpt-image-1,3\nA blue mug,gpt-image-1,\n');
    const [counted, empty] = await readAll(path);
    expect(counted?.issues).toEqual([
      {
        location: 'row 2',
        field: 'images',
        reason: '"3" is a number, but the images column holds input images to edit (paths or URLs separated by "|"), not a count of images; put counts in a column named n',
      },
    ]);
    expect(counted?.request).not.toHaveProperty('n');
    // An empty cell is a plain generation.
    expect(empty?.issues).toBeUndefined();
    expect(empty?.request).toEqual({ prompt: 'A blue mug', model: 'gpt-image-1' });
    const prepared = createJobPreparer({ batchId: 'b' }).prepare(counted ?? { request: {}, location: '', defaultId: '' });
    expect(prepared.kind).toBe('rejected');
  });
});

describe('readCsvRequests with a prompt template', () => {
  const template = compilePromptTemplate('Studio photo of a {Product} in {colour}');

  it("builds each row's prompt from its columns, which stay metadata", async () => {
    const [mug] = await readAll(fixture('aliases.csv'), { promptTemplate: template });
    expect(mug?.request).toMatchObject({ prompt: 'Studio photo of a mug in red', metadata: { product: 'mug', colour: 'red', campaign: 'spring' } });
    expect(mug?.issues).toBeUndefined();
  });

  it('gives a row that leaves a template column empty an issue naming the column, and goes on with the file', async () => {
    const inputs = await readAll(fixture('aliases.csv'), { promptTemplate: template });
    expect(inputs.map((each) => [each.location, each.issues?.map((issue) => issue.field)])).toEqual([
      ['row 2', undefined],
      ['row 3', ['colour']],
      ['row 5', undefined],
    ]);
    expect(inputs[1]?.issues?.[0]?.reason).toBe('is empty, and the prompt template "Studio photo of a {Product} in {colour}" uses it');
  });

  it('a row shorter than the header lacks the column just as an empty cell does', async () => {
    const path = writeCsv('short.csv', 'product,colour,model\nmug,red,gpt-image-1\nlamp\n');
    const inputs = await readAll(path, { promptTemplate: compilePromptTemplate('{product} in {colour}') });
    expect(inputs.map((each) => each.issues?.map((issue) => issue.field))).toEqual([undefined, ['colour']]);
  });

  it('fails the whole file, before any row, when a template column is not in the header', async () => {
    await expect(readAll(fixture('aliases.csv'), { promptTemplate: compilePromptTemplate('{product} in {color}') })).rejects.toThrow(
      'prompt template: {color} is not a column of this file (columns: sku, text, count, deployment model, product, colour, campaign)',
    );
  });
});

describe('readCsvRequests: row positions', () => {
  it('numbers each row as a spreadsheet shows it, blank lines counted, in `position` beside `location`', async () => {
    const path = writeCsv('positions.csv', 'prompt,model\na mug,gpt-image-1-mini\n\n,,\na bell,gpt-image-1-mini\n');
    const inputs = await readAll(path);
    expect(inputs.map((input) => [input.location, input.position])).toEqual([
      ['row 2', { row: 2 }],
      ['row 5', { row: 5 }],
    ]);
  });
});
