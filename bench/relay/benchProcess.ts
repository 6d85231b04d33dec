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

export interface Settled {
  rss: number;
  /** process.memoryUsage().heapUsed after the collections: what the JS heap still holds. */
  heapUsed: number;
}

/** A relay under test, running as its own child process so its memory is its own. */
export interface BenchProcess {
  /** Base WebSocket URL: Hearth's is the /sync endpoint; the reference appends `/<room>`. */
  readonly wsUrl: string;
  /**
   * Force full garbage collections in the process, then read its VmRSS from /proc/<pid>/status and the live JS heap
   * it reports, in bytes.
   */
  settled(): Promise<Settled>;
  /** CPU time the process has used so far, all its threads, user + system, in milliseconds. */
  cpuMs(): number;
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
    settled: () => settle(pid, relay.output),
    cpuMs: () => processCpuMs(pid),
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
    settled: () => settle(pid, () => output),
    cpuMs: () => processCpuMs(pid),
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

async function settle(pid: number, output: () => string): Promise<Settled> {
  const markers = () => [...output().matchAll(/bench-settled (\d+)/g)];
  const before = markers().length;
  process.kill(pid, 'SIGUSR2');
  await waitUntil(
    () => markers().length > before,
    SETTLE_TIMEOUT_MS,
    () => 'the relay did not settle',
  );
  const heapUsed = Number(markers()[before][1]);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_QUIET_MS));
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return { rss: kb * 1024, heapUsed };
}

const CLOCK_TICKS_PER_S = 100;

/**
 * utime + stime of process `pid` (every thread), from /proc/<pid>/stat, in milliseconds. The fields after the
 * command name (which may hold spaces, so the split is at its closing parenthesis) start at field 3, state.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

async function waitUntil(done: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
