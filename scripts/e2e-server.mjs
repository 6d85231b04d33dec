// Starts the relay for the browser tests: a fresh data directory, and the PWA built from the current source.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const dataDir = process.env.DATA_DIR ?? '.test-data/e2e';
rmSync(dataDir, { recursive: true, force: true });

// The browser tests run what `npm start` runs: the built PWA and the bundled relay.
if (process.env.HEARTH_SKIP_BUILD !== '1') {
  for (const args of [
    ['vite', 'build'],
    ['npm', 'run', '--silent', 'build:relay'],
  ]) {
    const build = spawnSync('npx', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
}

// Run the relay in this process (not as a child), so when Playwright stops the server nothing is left running.
await import('../dist/relay/main.mjs');
