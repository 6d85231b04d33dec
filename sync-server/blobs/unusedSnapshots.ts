import { bytesEqual } from '../../src/lib/protocol/hex';
import type { NewSnapshot } from './BlobStorage';

/** A snapshot blob and the device that named it as the room's snapshot. */
export interface NamedSnapshot {
  hash: Uint8Array;
  createdBy: Uint8Array;
}

/**
 * The snapshot blobs a PUT_SNAPSHOT leaves unused, to retire: the one the room named before, if another is kept
 * now, and the one just named, if it is not the one kept (a higher one was there already).
 */
export function unusedSnapshots(
  previous: { hash: Uint8Array; created_by: Uint8Array } | undefined,
  named: NewSnapshot,
  keptHash: Uint8Array,
): NamedSnapshot[] {
  const unused: NamedSnapshot[] = [];
  if (previous && !bytesEqual(previous.hash, keptHash)) {
    unused.push({ hash: previous.hash, createdBy: previous.created_by });
  }
  if (!bytesEqual(named.hash, keptHash)) unused.push({ hash: named.hash, createdBy: named.createdBy });
  return unused;
}
