import type { Logger } from '../log';
import type { RelayMetrics } from '../metrics';
import type { BlobStorage } from './BlobStorage';

/** Default of SNAPSHOT_GRACE_SECONDS: an hour, far longer than fetching a snapshot takes even on 2G. */
export const SNAPSHOT_GRACE_SECONDS = 3600;
/** Blobs deleted per transaction: a sweep never holds the blob store's write lock for long. */
const SWEEP_BATCH = 50;
/** Sweep at least this often, and at most every half grace period. */
const MAX_SWEEP_INTERVAL_MS = 10 * 60_000;

export interface SnapshotSweeper {
  /** Stop sweeping; resolves once a sweep under way has finished (before the blob store closes). */
  stop(): Promise<void>;
}

/**
 * Delete replaced snapshot blobs once `graceMs` has passed since they were replaced. Every relay process sweeps;
 * deletes are idempotent, and PostgreSQL's SKIP LOCKED keeps concurrent sweeps apart. A failed sweep is logged and
 * tried again at the next interval: storage only grows for a while, nothing is lost.
 */
export function startSnapshotSweeper(
  blobs: BlobStorage,
  graceMs: number,
  log: Logger,
  metrics: RelayMetrics,
): SnapshotSweeper {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = async () => {
    try {
      let total = 0;
      for (;;) {
        const deleted = await blobs.sweepRetiredSnapshots(Date.now() - graceMs, SWEEP_BATCH);
        total += deleted;
        metrics.snapshotBlobsDeleted.inc(deleted);
        if (deleted < SWEEP_BATCH || stopped) break;
      }
      if (total > 0) log.info({ deleted: total }, 'replaced snapshot blobs deleted');
    } catch (error) {
      log.error({ err: error }, 'snapshot sweep failed; trying again later');
    }
  };
  const timer = setInterval(
    () => {
      running = running.then(sweep);
    },
    Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(500, graceMs / 2)),
  );
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
