import type { AppendItem, AppendOutcome } from './RelayStorage';
import { bytesEqual } from '../../src/lib/protocol/hex';

/** What storage already holds under an envelope's (room, id). */
export interface StoredEnvelopeRef {
  author: Uint8Array;
  clock: number;
  seq: number;
}

export type AppendVerdict = { kind: 'insert' } | Exclude<AppendOutcome, { kind: 'stored' }>;

/**
 * The append rule every storage applies inside its transaction: a retry (same id, author and clock) gets its old
 * seq; a reused id is refused; an author no longer in the room, or revoked, is refused; otherwise the clock must be exactly the author's next one in the room.
 */
export function judgeAppend(
  item: AppendItem,
  existing: StoredEnvelopeRef | undefined,
  lastClock: number,
  authorRevoked: boolean,
  authorMember: boolean,
): AppendVerdict {
  if (existing) {
    if (bytesEqual(existing.author, item.author) && existing.clock === item.clock) {
      return { kind: 'duplicate', seq: existing.seq };
    }
    return { kind: 'rejected', code: 'duplicate_id', message: 'an envelope with this id is already stored' };
  }
  // Checked inside the commit, so an envelope racing its author's removal from the room (or its revocation) is
  // either stored before the change or refused.
  if (!authorMember) {
    return { kind: 'rejected', code: 'not_a_member', message: 'this device is not a member of the room' };
  }
  if (authorRevoked) {
    return {
      kind: 'rejected',
      code: 'device_revoked',
      message: 'this device was removed; it can no longer write',
    };
  }
  const expected = lastClock + 1;
  if (item.clock !== expected) {
    return {
      kind: 'rejected',
      code: 'clock_out_of_order',
      message: `expected clock ${expected} for this author in this room, got ${item.clock}`,
    };
  }
  return { kind: 'insert' };
}
