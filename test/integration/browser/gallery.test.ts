import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { describeScreenshot, screenshotPath, useChromium } from '../../helpers/chromium.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const HOSTILE = 'A poster reading <script>window.pwned = 1</script> and <img src=x onerror="window.pwned = 2"> & "quotes"';

describe('imgbatch gallery, opened in headless Chromium', () => {
  const openPipeline = usePipeline();
  const openChromium = useChromium();
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('shows a tile per image with status and reason, filters by status, loads nothing from the network, and runs no injected script', async () => {
    // 512 px images: the gallery makes real thumbnails of them (256 px JPEGs), not copies.
    const p = await openPipeline({ simulator: { deployments: [GPT], imageWidthPx: 512, imageHeightPx: 512 }, worker: { attempts: 1 } });
    p.simulator.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    p.startWorker();
    await p.producer.enqueue(
      [
        { id: 'mug', prompt: 'A red mug on a white table', n: 2, model: 'gpt-image-1-mini', metadata: { sku: 'M-1' } },
        { id: 'lamp', prompt: 'A brass lamp, studio photo', model: 'gpt-image-1-mini', outputFormat: 'jpeg' },
        { id: 'cutout', prompt: 'A sneaker cut out', model: 'gpt-image-1-mini', background: 'transparent', outputFormat: 'png' },
        { id: 'poster', prompt: HOSTILE, model: 'gpt-image-1-mini' },
        { id: 'gore', prompt: 'A gore scene', model: 'gpt-image-1-mini' },
        { id: 'kite', prompt: 'A flaky kite', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'shop' },
    );
    const summary = await p.waitForBatch('shop');
    expect(summary.counts).toMatchObject({ stored: 5, filtered: 1, failed: 1 });

    dir = await mkdtemp(join(tmpdir(), 'imgbatch-gallery-'));
    const file = join(dir, 'shop.html');
    const cli = await runCli(['gallery', 'shop', '--out', file], { REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix, IMGBATCH_OUTPUT_DIR: p.outputDir });
    expect(cli.stderr).toMatch(new RegExp(`^7 of 7 images of batch shop written to ${file} \\(\\d+\\.\\d MB\\)\\n$`));
    expect(cli.code).toBe(0);
    const html = await readFile(file, 'utf8');
    // Thumbnails, not the images: each a small JPEG, well under the 512 px PNG's size.
    const thumbnails = [...html.matchAll(/src="data:image\/jpeg;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1] ?? '', 'base64'));
    expect(thumbnails).toHaveLength(5);
    for (const thumbnail of thumbnails) expect(thumbnail.byteLength).toBeLessThan(40_000);

    const browser = await openChromium();
    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(pathToFileURL(file).href);

    const tiles = page.locator('.tile');
    expect(await tiles.count()).toBe(7);
    expect(await page.locator('.tile[data-status="stored"]').count()).toBe(5);
    expect(await page.locator('.tile[data-status="filtered"]').count()).toBe(1);
    expect(await page.locator('.tile[data-status="failed"]').count()).toBe(1);
    expect(await page.locator('button[data-filter]').allTextContents()).toEqual(['all 7', 'stored 5', 'filtered 1', 'failed 1']);
    // Every stored tile shows its decoded thumbnail.
    const widths = await page.locator('.tile[data-status="stored"] img').evaluateAll((images) => images.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths).toEqual([256, 256, 256, 256, 256]);

    // The hostile prompt is text on the page; neither of its scripts ran.
    await expect.poll(() => page.locator('.tile[data-id="poster"] .prompt').textContent()).toBe(HOSTILE);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    const all = await screenshotPath('gallery-all');
    await page.screenshot({ path: all, fullPage: true });

    await page.locator('button[data-filter="filtered"]').click();
    const visible = page.locator('.tile:visible');
    expect(await visible.count()).toBe(1);
    expect(await visible.getAttribute('data-status')).toBe('filtered');
    expect(await visible.locator('.ident').textContent()).toBe('gore · v0');
    expect(await visible.locator('.reason').textContent()).toMatch(/^content filter at the prompt stage/);
    expect(await page.locator('button[data-filter="filtered"]').getAttribute('aria-pressed')).toBe('true');

    const filtered = await screenshotPath('gallery-filtered');
    await page.screenshot({ path: filtered, fullPage: true });

    await page.locator('button[data-filter="failed"]').click();
    expect(await page.locator('.tile:visible').count()).toBe(1);
    expect(await page.locator('.tile:visible .reason').textContent()).toMatch(/500/);
    await page.locator('button[data-filter="all"]').click();
    expect(await page.locator('.tile:visible').count()).toBe(7);

    // Self-contained: the page and its data: images are all it loaded. No CSP violation either
    // (that would mean the inline style or script was blocked).
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    expect(problems).toEqual([]);

    for (const path of [all, filtered]) {
      const shot = await describeScreenshot(path);
      expect(shot.widthPx).toBe(1280);
      expect(shot.heightPx).toBeGreaterThanOrEqual(900);
      expect(shot.sizeBytes).toBeGreaterThan(20_000);
      expect(shot.distinctColours).toBeGreaterThan(50);
    }
  });
});
