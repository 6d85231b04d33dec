// Preloaded into each relay process under test (`--expose-gc --import=...`; bench/relay/benchProcess.ts), so memory
// is read after the same forced settle in both: on SIGUSR2, two full collections, then a marker on stderr with the
// live JS heap left (bytes).
// Lives in bench/, not in the relay: it changes nothing the relay does.
process.stderr.write(`bench-pid ${process.pid}\n`);
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  process.stderr.write(`bench-settled ${process.memoryUsage().heapUsed}\n`);
});
