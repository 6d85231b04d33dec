import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, REPO_ROOT, startRelay } from '../../tests/helpers/relayProcess';

const SETTLE_HOOK = pathToFileURL(path.join(REPO_ROOT, 'bench/relay/settleOnSignal.mjs')).href;
const SETTLE_OPTIONS = `--expose-gc --import=${SETTLE_HOOK}`;
const CPU_PROFILE_HOOK = pathToFileURL(path.join(REPO_ROOT, 'bench/relay/cpuProfile.mjs')).href;
const SETTLE_TIMEOUT_MS = 5000;
/** After the collections, give the allocator and pending socket work a moment before reading RSS. */
const SETTLE_QUIET_MS = 300;

/** A relay under test, running as its own child process so its memory is its own. */
export interface BenchProcess {
  /** Base WebSocket URL: Hearth's is the /sync endpoint; the reference appends `/<room>`. */
  readonly wsUrl: string;
  /** Force full garbage collections in the process, then read its VmRSS from /proc/<pid>/status, in bytes. */
  settledRss(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Environment for Hearth's relay: PostgreSQL and Redis when the bench was given their URLs. The per-device append
 * rate limit (an abuse guard of 50/s) is raised out of reach: one bench sender stands in for many devices, and what
 * is measured is the relay's capacity, not the guard. The bucket is still checked on every append.
 */
export function hearthEnv(): Record<string, string> {
  const env: Record<string, string> = {
    RATE_ENVELOPES_PER_SECOND: '1000000',
    RATE_ENVELOPES_BURST: '1000000',
  };
  if (process.env.BENCH_DATABASE_URL) env.DATABASE_URL = process.env.BENCH_DATABASE_URL;
  if (process.env.BENCH_REDIS_URL) env.REDIS_URL = process.env.BENCH_REDIS_URL;
  return env;
}

/**
 * Hearth's relay as `npm start` runs it (the bundle dist/relay/main.mjs, plain node) with a fresh temp DATA_DIR. With
 * BENCH_CPU_PROF_DIR set, it also writes a V8 CPU profile there when it exits.
 */
export async function startHearth(): Promise<BenchProcess> {
  const profile = process.env.BENCH_CPU_PROF_DIR ? ` --import=${CPU_PROFILE_HOOK}` : '';
  const relay = await startRelay({
    bundled: true,
    env: { ...hearthEnv(), NODE_OPTIONS: `${SETTLE_OPTIONS}${profile}` },
  });
  const pid = await pidFrom(relay.output);
  return {
    wsUrl: relay.wsUrl,
    settledRss: () => settle(pid, relay.output),
    stop: async () => {
      await relay.stop();
      relay.removeData();
    },
  };
}

/**
 * The reference: @y/websocket-server's own server module, in memory (YPERSISTENCE is deliberately not passed, so
 * it persists nothing), on a free loopback port.
 */
export async function startReference(): Promise<BenchProcess> {
  const port = await freePort();
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('@y/websocket-server/package.json'));
  const child = spawn(process.execPath, [path.join(packageDir, 'src/server.js')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_OPTIONS: SETTLE_OPTIONS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await waitUntil(
    () => output.includes('running at'),
    10_000,
    () => `reference did not start:\n${output}`,
  );
  const pid = await pidFrom(() => output);
  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    settledRss: () => settle(pid, () => output),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function pidFrom(output: () => string): Promise<number> {
  await waitUntil(
    () => /bench-pid \d+/.test(output()),
    10_000,
    () => `no pid from the settle hook:\n${output()}`,
  );
  return Number(/bench-pid (\d+)/.exec(output())?.[1]);
}

async function settle(pid: number, output: () => string): Promise<number> {
  const settledSoFar = () => output().split('bench-settled').length - 1;
  const before = settledSoFar();
  process.kill(pid, 'SIGUSR2');
  await waitUntil(
    () => settledSoFar() > before,
    SETTLE_TIMEOUT_MS,
    () => 'the relay did not settle',
  );
  await new Promise((resolve) => setTimeout(resolve, SETTLE_QUIET_MS));
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb * 1024;
}

async function waitUntil(done: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
