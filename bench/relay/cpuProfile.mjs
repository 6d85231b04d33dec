// Preloaded into Hearth's relay when BENCH_CPU_PROF_DIR is set (`--cpu-prof` is not allowed in NODE_OPTIONS): a V8
// CPU profile of the whole process, written to that directory as it exits; open it in Chrome DevTools.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // Same-thread inspector sessions answer synchronously, so this runs to the end inside the exit handler.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      writeFileSync(path.join(dir, `relay-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
