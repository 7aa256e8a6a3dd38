import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterEach } from 'vitest';

/** Debian's chromium package; `.ci/run` installs it when missing. Playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * As root in a sandbox without a GPU, and on a machine whose outbound network is closed:
 * without the background-networking flags Chromium keeps opening connections that are refused.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessChromium {
  /** One browser profile (cookies persist between its pages). */
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh, empty profile in a temp folder, removed on close. */
export async function launchChromium(): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'imgbatch-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** For a describe block: `open()` launches a browser with a fresh profile, closed after each test. */
export function useChromium(): () => Promise<HeadlessChromium> {
  const open: HeadlessChromium[] = [];
  afterEach(async () => {
    for (const browser of open.splice(0)) await browser.close();
  });
  return async () => {
    const browser = await launchChromium();
    open.push(browser);
    return browser;
  };
}

/**
 * Where screenshots go: kept after the run so a person can look at them. The folder is
 * `$IMGBATCH_SCREENSHOT_DIR`, default `<tmp>/imgbatch-screenshots`.
 */
export async function screenshotPath(name: string): Promise<string> {
  const folder = process.env.IMGBATCH_SCREENSHOT_DIR ?? join(tmpdir(), 'imgbatch-screenshots');
  await mkdir(folder, { recursive: true });
  return join(folder, `${name}.png`);
}

export interface ScreenshotFacts {
  readonly sizeBytes: number;
  readonly widthPx: number;
  readonly heightPx: number;
  /** Distinct colours in a sample of pixels: a blank or single-colour page has 1 or 2. */
  readonly distinctColours: number;
}

/** Decodes a screenshot file to check it shows something; throws if it is not a PNG. */
export async function describeScreenshot(path: string): Promise<ScreenshotFacts> {
  const bytes = await readFile(path);
  if ((await sharp(bytes).metadata()).format !== 'png') throw new Error(`${path} is not a PNG`);
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  for (let offset = 0; offset < data.length; offset += 4 * 7) {
    colours.add(((data[offset] ?? 0) << 16) | ((data[offset + 1] ?? 0) << 8) | (data[offset + 2] ?? 0));
  }
  return { sizeBytes: bytes.byteLength, widthPx: info.width, heightPx: info.height, distinctColours: colours.size };
}
