import { toHex } from '../src/lib/protocol/hex';
import type { Delivery } from '../src/lib/protocol/frames';
import type { Fanout } from './fanout';
import type { Logger } from './log';
import type { AppendItem, AppendOutcome, RelayStorage } from './storage/RelayStorage';

/** A verified append waiting for its commit; `settle` runs once, after the transaction (or its failure). */
export interface PendingAppend {
  item: AppendItem;
  settle(outcome: AppendOutcome): void;
}

/** Told, after a commit, which devices' envelopes were newly stored in a room (the push notifier listens). */
export type CommittedListener = (room: Uint8Array, authors: Uint8Array[]) => void;

/** A batch stops growing at this many envelope bytes; the rest go in the next transaction. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Group commit: every append that arrives within one event-loop turn (and while the previous commit runs) goes into
 * ONE storage transaction. Commits run one at a time, so each batch is judged against everything committed before
 * it. Acks go out only after the commit; then each room's new envelopes are published once per commit.
 */
export class AppendQueue {
  private pending: PendingAppend[] = [];
  private scheduled = false;
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly storage: RelayStorage,
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
      while (this.pending.length > 0) await this.commit(this.takeBatch());
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

  private async commit(batch: PendingAppend[]): Promise<void> {
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
