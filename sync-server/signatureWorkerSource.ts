/**
 * The code each signature-checking worker thread runs (CommonJS, started with `eval: true`, so it needs no file of
 * its own next to the source or the bundle). It loads libsodium's native build from the path it is given, reads a
 * packed batch (see `packChecks` in signaturePool.ts), checks every signature in place, and answers one byte per
 * check: 1 valid, 0 not. A malformed batch answers nothing for it: the pool fails the batch and replaces the thread.
 */
export const SIGNATURE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const sodium = require(workerData.sodiumPath);
parentPort.on('message', ({ id, buffer }) => {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const count = view.getUint32(0, true);
  const results = new Uint8Array(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(at, true);
    const publicKey = bytes.subarray(at + 4, at + 36);
    const signature = bytes.subarray(at + 36, at + 100);
    const message = bytes.subarray(at + 100, at + 100 + length);
    at += 100 + length;
    try {
      results[i] = sodium.crypto_sign_verify_detached(signature, message, publicKey) ? 1 : 0;
    } catch {
      results[i] = 0;
    }
  }
  parentPort.postMessage({ id, results }, [results.buffer]);
});
`;
