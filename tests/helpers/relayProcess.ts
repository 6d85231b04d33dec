import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface StartRelayOptions {
  /** Extra environment for the relay (PORT, HOST and DATA_DIR are set unless given here). */
  env?: Record<string, string>;
  /** Reuse a data directory (to restart a relay over the same database); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Run the bundle `npm start` runs (dist/relay/main.mjs, built by `npm run build:relay`) instead of the source. */
  bundled?: boolean;
}

export interface RunningRelay {
  port: number;
  /** http://127.0.0.1:port */
  url: string;
  /** ws://127.0.0.1:port/sync */
  wsUrl: string;
  dataDir: string;
  /** SIGTERM, then resolve with the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** Send a signal without waiting (SIGKILL for a crash). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything the process printed so far (JSON logs; never content). */
  output(): string;
  /** Delete the data directory (after stop). */
  removeData(): void;
}

/** Make a fresh temp directory for a relay's DATA_DIR. */
export function makeDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-relay-'));
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start the real relay (`sync-server/main.ts` under tsx) on a free port and wait until /healthz answers.
 * One node process, not tsx's wrapper, so `kill('SIGKILL')` really crashes the relay.
 */
export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  const port = await freePort();
  const dataDir = options.dataDir ?? makeDataDir();
  const entry = options.bundled ? ['dist/relay/main.mjs'] : ['--import', 'tsx', 'sync-server/main.ts'];
  const child = spawn(process.execPath, entry, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, exited, () => output);
  return {
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/sync`,
    dataDir,
    exited,
    output: () => output,
    kill: (signal) => void child.kill(signal),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    removeData: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  output: () => string,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let attempt = 0; attempt < 400; attempt++) {
    if (gone) throw new Error(`relay exited before it was healthy:\n${output()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet: try again shortly
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`relay did not become healthy:\n${output()}`);
}
