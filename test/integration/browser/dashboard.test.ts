import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeploymentControls } from '../../../src/limiter/deployment-controls.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { createRedisClient, type RedisClient } from '../../../src/queue/redis-connection.js';
import { describeScreenshot, screenshotPath, useChromium } from '../../helpers/chromium.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'dashboard-token-0123456789abcdef';

describe('the dashboard in headless Chromium: the home page, bull-board and the batch page, behind the API token', () => {
  const openPipeline = usePipeline();
  const openChromium = useChromium();
  const serve = useHttpServer();
  let redis: RedisClient | undefined;
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  it("opens on the home page: a running batch's progress and a paused deployment's Resume button, which resumes it", async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'mug', prompt: 'A red mug', model: 'gpt-image-1-mini' }], { batchId: 'shop' });
    await p.waitForBatch('shop');
    // The deployment is paused (as after a 401), then the batch grows: its new images wait.
    await p.limiter.pause('gpt', 'auth (HTTP 401): Access denied due to invalid subscription key');
    await p.producer.enqueue(
      [
        { id: 'lamp', prompt: 'A brass lamp', model: 'gpt-image-1-mini' },
        { id: 'kite', prompt: 'A kite', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'shop' },
    );
    redis = createRedisClient(p.redisUrl, 'producer');
    const deployments = createDeploymentControls(redis, { deployments: p.deployments, redisPrefix: p.prefix, limiter: p.limiterSettings, models: BUILT_IN_CATALOGUE });
    const { base } = await serve(p, { apiToken: TOKEN, deployments });
    const browser = await openChromium();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // A CSP refusal (an inline style, a script) shows up here; the browser's own favicon request does too.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) problems.push(message.text());
    });

    await page.goto(`${base}/admin/login`);
    await page.locator('input[name="token"]').fill(TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin`), page.locator('button[type="submit"]').click()]);

    const row = page.locator('tr[data-batch="shop"]');
    expect(await row.locator('.progress').textContent()).toBe('1 stored · 0 filtered · 0 failed of 3');
    expect(await row.locator('.pending').textContent()).toBe('2');
    const card = page.locator('article[data-deployment="gpt"]');
    expect(await card.locator('.state').textContent()).toBe('paused: auth (HTTP 401): Access denied due to invalid subscription key');
    expect(await card.locator('svg.chart rect[fill="#3d6fb6"]').count()).toBe(1);
    expect(await page.locator('a[href="/admin/queues"]').count()).toBe(1);
    const homeShot = await screenshotPath('dashboard-home');
    await page.screenshot({ path: homeShot, fullPage: true });
    const shot = await describeScreenshot(homeShot);
    expect(shot.widthPx).toBe(1280);
    expect(shot.distinctColours).toBeGreaterThan(5);

    // The form posts with the session's CSRF token and comes back to the home page.
    await card.locator('button', { hasText: 'Resume' }).click();
    await card.locator('.state[data-state="running"]').waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${base}/admin`);
    expect(await card.locator('button').textContent()).toBe('Pause');
    expect((await p.limiter.state('gpt')).pausedReason).toBeUndefined();
    // Workers call the deployment again: the batch finishes.
    await p.waitForBatch('shop');
    await page.reload();
    expect(await row.locator('.progress').textContent()).toBe('3 stored · 0 filtered · 0 failed of 3');
    expect(await row.locator('.eta').textContent()).toBe('done');
    expect(problems).toEqual([]);
  });

  async function finishedBatch(): Promise<{ p: Pipeline; base: string }> {
    const p = await openPipeline({ simulator: { deployments: [GPT], imageWidthPx: 320, imageHeightPx: 320 }, worker: { attempts: 1 } });
    p.simulator.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    p.startWorker();
    await p.producer.enqueue(
      [
        { id: 'mug', prompt: 'A red mug', n: 2, model: 'gpt-image-1-mini' },
        { id: 'lamp', prompt: 'A brass lamp', model: 'gpt-image-1-mini', outputFormat: 'jpeg' },
        { id: 'gore', prompt: 'A gore scene', model: 'gpt-image-1-mini' },
        { id: 'kite', prompt: 'A flaky kite', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'shop' },
    );
    await p.waitForBatch('shop');
    const { base } = await serve(p, { apiToken: TOKEN });
    return { p, base };
  }

  it('signs in with the token, then shows the queue in bull-board and the batch with its thumbnails', async () => {
    const { base } = await finishedBatch();
    const browser = await openChromium();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    // Without a session, a browser gets the sign-in form, not the dashboard.
    const refused = await page.goto(`${base}/admin/queues`);
    expect(refused?.status()).toBe(401);
    expect(await page.locator('form input[name="token"]').count()).toBe(1);
    await page.locator('input[name="token"]').fill(`${TOKEN}-wrong`);
    await page.locator('button[type="submit"]').click();
    await page.waitForSelector('[role="alert"]');
    expect(await page.locator('[role="alert"]').textContent()).toBe('That is not a token this server takes.');

    await page.locator('input[name="token"]').fill(TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin/queues`), page.locator('button[type="submit"]').click()]);
    // bull-board's React app rendered the queue: its name and a state count from Redis.
    const queueCard = page.locator('a[href$="/queue/images"]').first();
    await queueCard.waitFor({ timeout: 15_000 });
    expect(await page.title()).toBe('imgbatch');
    expect(await queueCard.textContent()).toContain('images');
    // The schedules' queue beside it: each run of a schedule is a job there.
    await page.locator('a[href$="/queue/schedules"]').first().waitFor({ timeout: 15_000 });
    const boardShot = await screenshotPath('dashboard-queues');
    await page.screenshot({ path: boardShot, fullPage: true });

    // A job in bull-board links to its batch page (the failed one: completed jobs leave Redis
    // as soon as their outcome is recorded).
    await page.goto(`${base}/admin/queues/queue/images?status=failed`);
    const jobLink = page.locator('a[href="/batches/shop"]').first();
    await jobLink.waitFor({ timeout: 15_000 });
    const jobsShot = await screenshotPath('dashboard-jobs');
    await page.screenshot({ path: jobsShot, fullPage: true });

    // The cookie is HttpOnly and SameSite=Strict, and holds no token.
    const [cookie] = await browser.context.cookies(base);
    expect(cookie).toMatchObject({ name: 'imgbatch_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie?.value).not.toContain(TOKEN);

    const batchPage = await page.goto(`${base}/batches/shop`);
    expect(batchPage?.status()).toBe(200);
    expect(await page.locator('.tile').count()).toBe(5);
    expect(await page.locator('.tile[data-status="stored"]').count()).toBe(3);
    expect(await page.locator('.tile[data-status="filtered"] .reason').textContent()).toMatch(/^content filter at the prompt stage/);
    expect(await page.locator('.tile[data-status="failed"] .reason').textContent()).toMatch(/500/);
    // Thumbnails come from the image route, with the session cookie, and decode.
    const images = page.locator('.tile[data-status="stored"] img');
    // The test runs without DOM types: the image elements are read through the two fields used.
    type LoadedImage = { complete: boolean; naturalWidth: number; getAttribute(name: string): string | null };
    await expect.poll(() => images.evaluateAll((all) => all.every((img) => (img as unknown as LoadedImage).complete)), { timeout: 10_000 }).toBe(true);
    const loaded = await images.evaluateAll((all) => all.map((img) => ({ src: (img as unknown as LoadedImage).getAttribute('src'), width: (img as unknown as LoadedImage).naturalWidth })));
    expect(loaded).toEqual([
      { src: '/v1/batches/shop/images/lamp-0', width: 320 },
      { src: '/v1/batches/shop/images/mug-0', width: 320 },
      { src: '/v1/batches/shop/images/mug-1', width: 320 },
    ]);
    await page.locator('button[data-filter="filtered"]').click();
    expect(await page.locator('.tile:visible').count()).toBe(1);
    await page.locator('button[data-filter="all"]').click();
    const batchShot = await screenshotPath('dashboard-batch');
    await page.screenshot({ path: batchShot, fullPage: true });
    expect(problems).toEqual([]);

    for (const path of [boardShot, batchShot]) {
      const shot = await describeScreenshot(path);
      expect(shot.widthPx).toBe(1280);
      expect(shot.sizeBytes).toBeGreaterThan(10_000);
      expect(shot.distinctColours).toBeGreaterThan(50);
    }

    // Signing out clears the browser's cookie, and the server refuses a copy of it.
    const copy = await browser.context.cookies(base);
    const out = await page.request.post(`${base}/admin/logout`, { maxRedirects: 0 });
    expect(out.status()).toBe(303);
    expect(await browser.context.cookies(base)).toEqual([]);
    expect((await page.goto(`${base}/admin/queues`))?.status()).toBe(401);
    await browser.context.addCookies(copy);
    expect((await page.goto(`${base}/batches/shop`))?.status()).toBe(401);
    expect(await page.locator('input[name="token"]').count()).toBe(1);
  });

  it('refuses a browser without a session: every dashboard page, the image route and bull-board API answer 401', async () => {
    const { base } = await finishedBatch();
    const browser = await openChromium();
    const page = await browser.newPage();
    for (const path of ['/admin/queues', '/admin/queues/queue/images', '/batches/shop']) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status()).toBe(401);
      expect(await page.locator('.tile').count()).toBe(0);
      expect(await page.locator('input[name="token"]').count()).toBe(1);
    }
    // What is not a page (an <img>, bull-board's own API calls) gets the API's JSON 401; the
    // request goes out with the browser profile's cookies, of which there are none.
    for (const path of ['/v1/batches/shop/images/mug-0', '/admin/queues/api/queues']) {
      const response = await page.request.get(`${base}${path}`);
      expect(response.status()).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('serves the stored bytes at the image route with the bearer token, and 404 for images that are not stored', async () => {
    const { p, base } = await finishedBatch();
    const auth = { authorization: `Bearer ${TOKEN}` };
    const response = await fetch(`${base}/v1/batches/shop/images/lamp-0`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const record = await p.store.getRecord('shop/lamp-0');
    expect(Buffer.from(await response.arrayBuffer()).equals(await readFile(record?.location ?? ''))).toBe(true);

    for (const name of ['gore-0', 'kite-0', 'nothing-0']) {
      expect((await fetch(`${base}/v1/batches/shop/images/${name}`, { headers: auth })).status).toBe(404);
    }
    expect((await fetch(`${base}/v1/batches/shop/images/..%2Fetc-0`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${base}/batches/no-such-batch`, { headers: auth })).status).toBe(404);
  });
});
