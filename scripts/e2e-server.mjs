// Starts the relay for the browser tests: a fresh data directory, and the PWA built from the current source.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const dataDir = process.env.DATA_DIR ?? '.test-data/e2e';
rmSync(dataDir, { recursive: true, force: true });

if (process.env.HEARTH_SKIP_BUILD !== '1') {
  const build = spawnSync('npx', ['vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const relay = spawn('npx', ['tsx', 'sync-server/main.ts'], { stdio: 'inherit', env: process.env });
const stop = () => relay.kill('SIGTERM');
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
relay.on('exit', (code) => process.exit(code ?? 0));
