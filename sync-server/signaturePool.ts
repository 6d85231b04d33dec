import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../src/lib/protocol/limits';
import type { Logger } from './log';
import { SIGNATURE_WORKER_SOURCE } from './signatureWorkerSource';
import { verifyEd25519 } from './verifySignature';

/** One Ed25519 check: the signed message is the concatenation of `message`'s parts (no copy made to join them). */
export interface SignatureCheck {
  publicKey: Uint8Array;
  message: Uint8Array[];
  signature: Uint8Array;
}

/** Batches smaller than this are checked on the calling thread: a round trip to a worker costs more than a check. */
export const INLINE_BELOW = 4;
/** Each worker gets at least this many checks of a batch, so a small batch is not split into round trips. */
const MIN_CHECKS_PER_WORKER = 16;

const PER_CHECK_BYTES = 4 + PUBLIC_KEY_BYTES + SIGNATURE_BYTES;

interface Waiting {
  resolve(results: Uint8Array): void;
  reject(error: Error): void;
}

interface PoolWorker {
  thread: Worker;
  waiting: Map<number, Waiting>;
}

/**
 * Ed25519 checks on worker threads (libsodium's native build, as on the main thread): checking every append's
 * signature was half the relay's main-thread time across many small rooms. `check` answers in the order asked; with
 * no threads (VERIFY_THREADS=0) or a small batch, it checks on the calling thread. A thread that fails is replaced
 * and its batches rejected (the caller refuses those appends; nothing is stored unchecked).
 */
export class SignaturePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private nextWorker = 0;
  private readonly sodiumPath = createRequire(import.meta.url).resolve('sodium-native');

  /** The threads start with the first batch worth sending: an idle relay keeps one V8 heap, not several. */
  constructor(
    private readonly threads: number,
    private readonly log: Logger,
  ) {}

  /** One boolean per check, in order: true only for a valid signature by that key (a malformed key is false). */
  async check(checks: SignatureCheck[]): Promise<boolean[]> {
    if (this.threads === 0 || checks.length < INLINE_BELOW) return checks.map(checkInline);
    while (this.workers.length < this.threads) this.workers.push(this.spawn());
    const parts = Math.max(
      1,
      Math.min(this.workers.length, Math.floor(checks.length / MIN_CHECKS_PER_WORKER)),
    );
    const size = Math.ceil(checks.length / parts);
    const answers = await Promise.all(
      Array.from({ length: parts }, (_, i) => this.send(checks.slice(i * size, (i + 1) * size))),
    );
    const out: boolean[] = [];
    for (const results of answers) for (const result of results) out.push(result === 1);
    return out.map((valid, i) => valid && hasKeyLengths(checks[i]));
  }

  /** Stop the threads; checks still waiting are rejected. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.thread.terminate()));
  }

  private send(checks: SignatureCheck[]): Promise<Uint8Array> {
    const worker = this.workers[this.nextWorker++ % this.workers.length];
    const id = this.nextId++;
    const buffer = packChecks(checks);
    return new Promise((resolve, reject) => {
      worker.waiting.set(id, { resolve, reject });
      worker.thread.postMessage({ id, buffer }, [buffer]);
    });
  }

  private spawn(): PoolWorker {
    const thread = new Worker(SIGNATURE_WORKER_SOURCE, {
      eval: true,
      workerData: { sodiumPath: this.sodiumPath },
    });
    // The threads never keep the process alive; shutdown waits for the append queue, which waits for them.
    thread.unref();
    const worker: PoolWorker = { thread, waiting: new Map() };
    thread.on('message', ({ id, results }: { id: number; results: Uint8Array }) => {
      const waiting = worker.waiting.get(id);
      worker.waiting.delete(id);
      waiting?.resolve(results);
    });
    const fail = (error: Error) => {
      const index = this.workers.indexOf(worker);
      if (index < 0) return;
      this.log.error({ err: error }, 'signature worker failed; replacing it');
      this.workers[index] = this.spawn();
      for (const waiting of worker.waiting.values()) waiting.reject(error);
      worker.waiting.clear();
      void thread.terminate();
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`signature worker exited with code ${code}`)));
    return worker;
  }
}

function hasKeyLengths(check: SignatureCheck): boolean {
  return check.publicKey.length === PUBLIC_KEY_BYTES && check.signature.length === SIGNATURE_BYTES;
}

function checkInline(check: SignatureCheck): boolean {
  const message = check.message.length === 1 ? check.message[0] : Buffer.concat(check.message);
  return verifyEd25519(check.publicKey, message, check.signature);
}

/**
 * One transferable buffer for a batch: u32 count, then per check u32 message length, public key, signature, message
 * (little-endian lengths). A key or signature of the wrong length is packed as zeros, and its answer is false whatever the thread says.
 */
function packChecks(checks: SignatureCheck[]): ArrayBuffer {
  let total = 4;
  for (const check of checks) total += PER_CHECK_BYTES + messageLength(check);
  const buffer = new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint32(0, checks.length, true);
  let at = 4;
  for (const check of checks) {
    view.setUint32(at, messageLength(check), true);
    at += 4;
    if (hasKeyLengths(check)) {
      bytes.set(check.publicKey, at);
      bytes.set(check.signature, at + PUBLIC_KEY_BYTES);
    }
    at += PUBLIC_KEY_BYTES + SIGNATURE_BYTES;
    for (const part of check.message) {
      bytes.set(part, at);
      at += part.length;
    }
  }
  return buffer;
}

function messageLength(check: SignatureCheck): number {
  let length = 0;
  for (const part of check.message) length += part.length;
  return length;
}
