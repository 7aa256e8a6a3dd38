import { describe, expect, it } from 'vitest';
import { FetchError } from '../../../src/net/fetch-error.js';
import type { PendingDownload, PendingDownloads } from '../../../src/queue/pending-downloads.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import type { StoredImage } from '../../../src/storage/result-store.js';
import { downloadAndKeep, keepPendingDownloads, type DownloadDeps } from '../../../src/worker/keep-pending-downloads.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
const NOW = 1_800_000_000_000;
const JOB = 'b/r/v0';
const URL = 'https://blob.example.net/private/images/abc.png?se=2026-12-07&sig=SECRET';

const RECORD: ImageRecord = {
  key: 'b/r-0',
  batchId: 'b',
  requestId: 'r',
  variant: 0,
  status: 'stored',
  prompt: 'a kite',
  model: 'dalle-like',
  size: '1024x1024',
  quality: 'standard',
  deployment: 'dalle',
  latencyMs: 1_200,
  attempts: 1,
  createdAt: new Date(NOW).toISOString(),
};

const FRESH: PendingDownload = { url: URL, expiresAtMs: NOW + 24 * 3_600_000, tries: 0, cause: '', record: RECORD };

/** In-memory fakes of the stage's own ports: the pending-download list, the store gate and the download. */
function fakes(answers: Array<Uint8Array | Error>, options: { storeFails?: boolean; storeSpools?: boolean } = {}) {
  const kept = new Map<string, Map<number, PendingDownload>>();
  const stored: Array<{ key: string; image: StoredImage; record: ImageRecord }> = [];
  const downloads: string[] = [];
  const pendingDownloads: PendingDownloads = {
    keep(jobId, variant, download) {
      const forJob = kept.get(jobId) ?? new Map<number, PendingDownload>();
      forJob.set(variant, download);
      kept.set(jobId, forJob);
      return Promise.resolve();
    },
    read: (jobId) => Promise.resolve(new Map(kept.get(jobId) ?? [])),
    drop(jobId, variant) {
      kept.get(jobId)?.delete(variant);
      return Promise.resolve();
    },
    forget(jobId) {
      kept.delete(jobId);
      return Promise.resolve();
    },
  };
  const deps: DownloadDeps = {
    pendingDownloads,
    downloadImage(url) {
      downloads.push(url);
      const answer = answers.shift();
      if (answer === undefined) return Promise.reject(new Error('no answer scripted'));
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    storeGate: {
      keepImage(key, image, record) {
        // The gate throws only for a write refused for this one image; an unwritable store spools.
        if (options.storeFails === true) return Promise.reject(new Error('the store refused the key'));
        stored.push({ key, image, record });
        return Promise.resolve(options.storeSpools === true ? 'spooled' : 'stored');
      },
    },
    settings: { backoffBaseMs: 1_000, backoffMaxMs: 60_000 },
    now: () => NOW,
  };
  return { deps, kept, stored, downloads };
}

const unavailable = (): FetchError => new FetchError(URL, 'http_status', 'HTTP 503', { isTransient: true, status: 503 });

describe('downloadAndKeep: one try at an image answered as a URL', () => {
  it('stores the downloaded bytes with the record of the call, as the format its bytes say', async () => {
    const { deps, stored, kept } = fakes([PNG]);
    expect(await downloadAndKeep(deps, JOB, 0, FRESH, 'jpeg')).toEqual({ kind: 'stored', variant: 0 });
    expect(stored).toEqual([{ key: 'b/r-0', image: { bytes: PNG, contentType: 'image/png', extension: 'png' }, record: RECORD }]);
    expect(kept.size).toBe(0);
  });

  it('keeps the URL and the cause of a failure that may pass, to try again after a backoff, without a call', async () => {
    const { deps, kept, stored } = fakes([unavailable()]);
    const outcome = await downloadAndKeep(deps, JOB, 0, FRESH, undefined);
    expect(outcome).toMatchObject({ kind: 'waiting', variant: 0, reason: expect.stringMatching(/could not be downloaded yet \(.*HTTP 503\); try 1 of its URL, no new call/) as string });
    if (outcome.kind !== 'waiting') throw new Error('expected waiting');
    expect(outcome.retryAtMs).toBeGreaterThanOrEqual(NOW + 500);
    expect(outcome.retryAtMs).toBeLessThanOrEqual(NOW + 1_000);
    expect(kept.get(JOB)?.get(0)).toEqual({ ...FRESH, tries: 1, cause: expect.stringMatching(/HTTP 503/) as string });
    // The SAS token in the query is never written into the cause.
    expect(kept.get(JOB)?.get(0)?.cause).not.toContain('SECRET');
    expect(stored).toHaveLength(0);
  });

  it('keeps the URL when the bytes came but the store refused them: the URL still holds the image', async () => {
    const { deps, kept } = fakes([PNG], { storeFails: true });
    expect(await downloadAndKeep(deps, JOB, 0, FRESH, undefined)).toMatchObject({ kind: 'waiting' });
    expect(kept.get(JOB)?.get(0)?.cause).toBe('downloaded but not stored: the store refused the key');
  });

  it('a later try whose bytes the store gate spools (the store cannot be written) drops the URL: the spool keeps the image', async () => {
    const { deps, kept, stored } = fakes([PNG], { storeSpools: true });
    await deps.pendingDownloads.keep(JOB, 0, { ...FRESH, tries: 2, cause: 'HTTP 503' });
    expect(await downloadAndKeep(deps, JOB, 0, { ...FRESH, tries: 2, cause: 'HTTP 503' }, undefined)).toEqual({ kind: 'spooled', variant: 0 });
    expect(stored.map((s) => s.key)).toEqual(['b/r-0']);
    expect(kept.get(JOB)?.get(0)).toBeUndefined();
  });

  it.each([
    ['a private address', new FetchError('https://10.0.0.7/a.png', 'address', '10.0.0.7 is a private or link-local address')],
    ['a redirect to another host', new FetchError(URL, 'redirect', 'redirects to another host (evil.example)')],
    ['bytes that are not an image', new FetchError(URL, 'not_image', 'the body is not a PNG, JPEG or WEBP image')],
    ['a 403 (an expired signature)', new FetchError(URL, 'http_status', 'HTTP 403', { status: 403 })],
  ])('gives up at once, with the cause, on %s: trying again cannot help', async (_what, error) => {
    const { deps, kept } = fakes([error]);
    const outcome = await downloadAndKeep(deps, JOB, 0, FRESH, undefined);
    expect(outcome).toEqual({ kind: 'failed', variant: 0, message: `generated (and paid for) but not kept: the image could not be downloaded: ${error.message}` });
    expect(kept.get(JOB)?.get(0)).toBeUndefined();
  });

  it('gives up once the next try would come after the URL expires, naming the tries and the last cause', async () => {
    const { deps, kept } = fakes([unavailable()]);
    await deps.pendingDownloads.keep(JOB, 0, { ...FRESH, tries: 7, cause: 'HTTP 503', expiresAtMs: NOW + 100 });
    const outcome = await downloadAndKeep(deps, JOB, 0, { ...FRESH, tries: 7, expiresAtMs: NOW + 100 }, undefined);
    expect(outcome).toMatchObject({ kind: 'failed', message: expect.stringMatching(/its URL expired after 8 tries; last: .*HTTP 503/) as string });
    expect(kept.get(JOB)?.get(0)).toBeUndefined();
  });
});

describe('keepPendingDownloads: the "already kept?" step downloads what an earlier call left at a URL', () => {
  it('downloads and stores a kept URL, drops it, and settles the image without a call', async () => {
    const { deps, kept, downloads } = fakes([PNG]);
    await deps.pendingDownloads.keep(JOB, 0, { ...FRESH, tries: 2, cause: 'HTTP 503' });
    expect(await keepPendingDownloads(deps, JOB, [0], undefined)).toEqual({ settled: [{ kind: 'stored', variant: 0 }] });
    expect(downloads).toEqual([URL]);
    expect(kept.get(JOB)?.size).toBe(0);
  });

  it('tries only the images with a kept URL, and asks to wait for the earliest retry while one still fails', async () => {
    const { deps, downloads } = fakes([unavailable()]);
    await deps.pendingDownloads.keep(JOB, 1, { ...FRESH, record: { ...RECORD, key: 'b/r-1', variant: 1 } });
    const step = await keepPendingDownloads(deps, JOB, [0, 1, 2], undefined);
    expect(step.settled).toEqual([]);
    expect(step.retry?.reason).toMatch(/HTTP 503/);
    expect(downloads).toEqual([URL]);
  });

  it('does nothing for a job with no kept URL', async () => {
    const { deps, downloads } = fakes([]);
    expect(await keepPendingDownloads(deps, JOB, [0], undefined)).toEqual({ settled: [] });
    expect(downloads).toEqual([]);
  });
});
