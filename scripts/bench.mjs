// `npm run bench`: build the PWA and the relay bundle once (what `npm start` runs), then run each benchmark; every line printed is `name: value unit`
// or `ratio.<metric>: <value>` against a reference measured in the same run.
import { spawnSync } from 'node:child_process';

for (const args of [
  ['vite', 'build'],
  ['npm', 'run', '--silent', 'build:relay'],
]) {
  const build = spawnSync('npx', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const only = process.argv[2];
const benches = [
  'bench/client.ts',
  'bench/identity.ts',
  'bench/conversations.ts',
  'bench/workspace.ts',
  'bench/relay.ts',
].filter((b) => !only || b.includes(only));
let status = 0;
for (const bench of benches) {
  console.log(`# ${bench}`);
  const run = spawnSync('node_modules/.bin/tsx', [bench], { stdio: 'inherit' });
  if (run.status !== 0) status = run.status ?? 1;
}
process.exit(status);
