import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser, type BrowserContext } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** One benchmark figure, in the `name: value unit` form `npm run bench` prints. */
export function report(name: string, value: number, unit: string): void {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  console.log(`${name}: ${value.toFixed(digits)} ${unit}`);
}

export function ratio(metric: string, ours: number, reference: number): void {
  console.log(`ratio.${metric}: ${(ours / reference).toFixed(2)}`);
}

/** Start the relay (serving the built PWA) on a port of its own with an empty data directory. */
export async function startRelay(
  port: number,
): Promise<{ process: ChildProcess; dataDir: string; stop: () => void }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
  const child = spawn(process.execPath, ['dist/relay/main.mjs'], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, dataDir, stop: () => child.kill('SIGTERM') };
}

import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/helpers/chromium';

/** Debian's Chromium, launched as the browser tests launch it. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A fresh browser profile (its own IndexedDB, like a separate phone) pointed at the relay on `port`. */
export async function benchContext(browser: Browser, port: number): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: `http://localhost:${port}` });
  // tsx compiles with keepNames, which wraps functions passed to evaluate() in a helper the page lacks.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  return context;
}
