// `npm test`: type check, lint, unit and relay tests, then the browser tests; ends with one line of totals.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const steps = [];
let failedSteps = 0;

function run(name, command, args, env = {}) {
  console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = result.status === 0;
  if (!ok) failedSteps++;
  steps.push({ name, ok });
  return ok;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

rmSync('.test-data/reports', { recursive: true, force: true });
mkdirSync('.test-data/reports', { recursive: true });

run('types', 'npm', ['run', '--silent', 'check']);
run('lint', 'npm', ['run', '--silent', 'lint']);
run('unit and relay tests', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile=.test-data/reports/vitest.json',
]);
run('browser tests', 'npx', ['playwright', 'test']);

let passed = 0;
let failed = 0;
const vitest = readJson('.test-data/reports/vitest.json');
if (vitest) {
  passed += vitest.numPassedTests ?? 0;
  failed += vitest.numFailedTests ?? 0;
}
const e2e = readJson('.test-data/reports/e2e.json');
if (e2e?.stats) {
  passed += e2e.stats.expected ?? 0;
  failed += (e2e.stats.unexpected ?? 0) + (e2e.stats.flaky ?? 0);
}

console.log('\n=== summary');
for (const step of steps) console.log(`${step.ok ? 'ok  ' : 'FAIL'} ${step.name}`);
// A step that failed without failing a test (types, lint, a runner that could not start) still counts.
if (failedSteps > 0 && failed === 0) failed = failedSteps;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failedSteps > 0 || failed > 0 ? 1 : 0);
