// Launches the system's headless Chromium for integration tests, with a fresh profile that is
// removed on close. No download: CI installs the browser with apt (chromium fonts-wqy-microhei).
// Test files ask needSystem(['chromium', ...]) first (test/helpers/system-deps.ts): skipped loudly
// when it is missing, failed under FERRY_TEST_STRICT=1; launching a missing browser is an error.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { APT_INSTALL, CHROMIUM_PATH } from './system-deps.ts';

export { CHROMIUM_PATH };

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface LaunchedChromium {
  /** A browser context on a fresh profile directory. */
  context: BrowserContext;
  userDataDir: string;
  /** Closes the browser and deletes the profile. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  executablePath?: string;
  /** Where the fresh profile directory is created. */
  tmpRoot?: string;
  viewport?: { width: number; height: number };
  /** 'block' runs the context without service workers (to compare with and without). */
  serviceWorkers?: 'allow' | 'block';
}

/**
 * Start headless Chromium on a fresh profile. Playwright refuses `--user-data-dir` among the
 * args, so the fresh directory goes through launchPersistentContext, which passes it for us.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedChromium> {
  const { executablePath = CHROMIUM_PATH, tmpRoot = tmpdir(), viewport = { width: 1280, height: 800 }, serviceWorkers = 'allow' } = options;
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}. Install it with "${APT_INSTALL}".`);
  }
  const userDataDir = await mkdtemp(join(tmpRoot, 'ferry-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport,
      serviceWorkers,
      timeout: 30_000,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Chromium at ${executablePath} did not start: ${reason}`);
  }
  return {
    context,
    userDataDir,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
