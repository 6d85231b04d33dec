import { toHex } from '../src/lib/protocol/hex';
import type { Delivery } from '../src/lib/protocol/frames';
import type { Fanout } from './fanout';
import type { Logger } from './log';
import type { SignatureCheck, SignaturePool } from './signaturePool';
import type { AppendItem, AppendOutcome, RelayStorage } from './storage/RelayStorage';

/**
 * An append waiting for its signature check and its commit; `settle` runs once, after the transaction (or after the
 * check or the transaction failed).
 */
export interface PendingAppend {
  item: AppendItem;
  /** The envelope's signature by its author, checked before the item joins a transaction. */
  signature: SignatureCheck;
  settle(outcome: AppendOutcome): void;
}

const BAD_SIGNATURE: AppendOutcome = {
  kind: 'rejected',
  code: 'bad_signature',
  message: 'the envelope signature does not verify',
};
const CHECK_FAILED: AppendOutcome = {
  kind: 'rejected',
  code: 'internal',
  message: 'the relay could not check this envelope; retry later',
};

/** Told, after a commit, which devices' envelopes were newly stored in a room (the push notifier listens). */
export type CommittedListener = (room: Uint8Array, authors: Uint8Array[]) => void;

/** A batch stops growing at this many envelope bytes; the rest go in the next transaction. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Group commit: every append that arrives within one event-loop turn (and while the previous batch is checked or
 * committed) goes into ONE storage transaction. A batch's signatures are checked first, on the signature pool's
 * threads, while the batch before it commits; only appends whose signature verifies reach the transaction. Commits
 * run one at a time, in arrival order, so each batch is judged against everything committed before it. Acks go out
 * only after the commit; then each room's new envelopes are published once per commit.
 */
export class AppendQueue {
  private pending: PendingAppend[] = [];
  private scheduled = false;
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly storage: RelayStorage,
    private readonly signatures: SignaturePool,
    private readonly fanout: Fanout,
    private readonly log: Logger,
    private readonly onCommitted: CommittedListener = () => {},
  ) {}

  enqueue(append: PendingAppend): void {
    this.pending.push(append);
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  /** Resolves once nothing is queued or committing (used by graceful shutdown). */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    try {
      // Checking batch n + 1 (off this thread) overlaps committing batch n (on it).
      let next = this.pending.length > 0 ? this.check(this.takeBatch()) : undefined;
      while (next) {
        const verified = await next;
        next = this.pending.length > 0 ? this.check(this.takeBatch()) : undefined;
        await this.commit(verified);
        next ??= this.pending.length > 0 ? this.check(this.takeBatch()) : undefined;
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private takeBatch(): PendingAppend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length) {
      bytes += this.pending[count].item.bytes.length;
      if (count > 0 && bytes > MAX_BATCH_BYTES) break;
      count++;
    }
    return this.pending.splice(0, count);
  }

  /** The batch's appends whose signature verifies; the others are settled with bad_signature. */
  private async check(batch: PendingAppend[]): Promise<PendingAppend[]> {
    let valid: boolean[];
    try {
      valid = await this.signatures.check(batch.map((p) => p.signature));
    } catch (error) {
      this.log.error({ err: error, batch: batch.length }, 'signature check failed');
      for (const p of batch) this.settle(p, CHECK_FAILED);
      return [];
    }
    const verified: PendingAppend[] = [];
    batch.forEach((p, i) => {
      if (valid[i]) verified.push(p);
      else this.settle(p, BAD_SIGNATURE);
    });
    return verified;
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    if (batch.length === 0) return;
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.storage.commitAppends(
        batch.map((p) => p.item),
        Date.now(),
      );
    } catch (error) {
      this.log.error({ err: error, batch: batch.length }, 'append commit failed');
      const failed: AppendOutcome = {
        kind: 'rejected',
        code: 'storage_failed',
        message: 'the relay could not store this envelope; retry later',
      };
      for (const p of batch) this.settle(p, failed);
      return;
    }
    const committed = new Map<
      string,
      { room: Uint8Array; deliveries: Delivery[]; authors: Map<string, Uint8Array> }
    >();
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      this.settle(p, outcome);
      if (outcome.kind !== 'stored') return;
      const key = toHex(p.item.room);
      let room = committed.get(key);
      if (!room) {
        room = { room: p.item.room, deliveries: [], authors: new Map() };
        committed.set(key, room);
      }
      room.deliveries.push({ seq: outcome.seq, envelope: p.item.bytes });
      room.authors.set(toHex(p.item.author), p.item.author);
    });
    for (const { room, deliveries, authors } of committed.values()) {
      try {
        this.fanout.publish({ type: 'appended', room, deliveries });
      } catch (error) {
        // Stored and acked already; a subscriber that missed this catches up on the next gap or subscribe.
        this.log.error({ err: error }, 'fan-out failed');
      }
      try {
        this.onCommitted(room, [...authors.values()]);
      } catch (error) {
        // Notifications are a courtesy on top of delivery: their failure never touches the commit.
        this.log.error({ err: error }, 'commit listener failed');
      }
    }
  }

  private settle(p: PendingAppend, outcome: AppendOutcome): void {
    try {
      p.settle(outcome);
    } catch (error) {
      // One socket's failure to take its ack must not cost the rest of the batch theirs.
      this.log.error({ err: error }, 'append settle failed');
    }
  }
}
