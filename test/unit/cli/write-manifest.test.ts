import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ManifestRow } from '../../../src/batch/list-manifest-rows.js';
import { writeManifest, type ManifestFormat } from '../../../src/cli/write-manifest.js';

const ROWS: ManifestRow[] = [
  {
    id: 'mug',
    variant: 0,
    status: 'stored',
    location: '/out/b/mug-0.png',
    prompt: 'A mug, red',
    revisedPrompt: 'A red mug',
    deployment: 'east',
    latencyMs: 812.4,
    attempts: 1,
    error: undefined,
    costUsd: 0.002176,
    metadata: { sku: '=HYPERLINK("http://evil")', status: 'new', cost: 'high' },
  },
  { id: 'lamp', variant: 0, status: 'failed', location: undefined, prompt: '-A lamp', revisedPrompt: undefined, deployment: undefined, latencyMs: undefined, attempts: undefined, error: '@boom', reason: 'attempts_exhausted', costUsd: undefined, metadata: { campaign: 'spring' } },
];

async function write(format: ManifestFormat): Promise<{ text: string; count: number }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const count = await writeManifest(
    async function* () {
      for (const row of ROWS) yield await Promise.resolve(row);
    },
    format,
    out,
  );
  return { text, count };
}

describe('writeManifest', () => {
  it('CSV: fixed columns (a failed image\'s reason code last), then every extra column any row has; formula prefixes neutralised; a name clash gets "metadata."', async () => {
    const { text, count } = await write('csv');
    expect(count).toBe(2);
    expect(text.split('\n')).toEqual([
      'id,variant,status,location,prompt,revised_prompt,deployment,latency_ms,attempts,error,cost,reason,campaign,metadata.cost,sku,metadata.status',
      `mug,0,stored,/out/b/mug-0.png,"A mug, red",A red mug,east,812,1,,0.002176,,,high,"'=HYPERLINK(""http://evil"")",new`,
      "lamp,0,failed,,'-A lamp,,,,,'@boom,,attempts_exhausted,spring,,,",
      '',
    ]);
  });

  it('JSONL: one object per image, extra columns under metadata, nothing neutralised', async () => {
    const { text } = await write('jsonl');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toEqual({
      id: 'mug',
      variant: 0,
      status: 'stored',
      location: '/out/b/mug-0.png',
      prompt: 'A mug, red',
      revised_prompt: 'A red mug',
      deployment: 'east',
      latency_ms: 812,
      attempts: 1,
      cost: 0.002176,
      metadata: { sku: '=HYPERLINK("http://evil")', status: 'new', cost: 'high' },
    });
    expect(lines[1]).toMatchObject({ id: 'lamp', status: 'failed', prompt: '-A lamp', error: '@boom', reason: 'attempts_exhausted' });
  });
});
