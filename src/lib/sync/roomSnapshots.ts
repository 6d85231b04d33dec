import { toHex, bytesEqual } from '../protocol/hex';
import type { FrameOf } from '../protocol/frames';
import type { HearthDb } from '../store/db';
import { downloadBlob, uploadBlob } from './blobTransfer';
import type { Keyring } from './keyring';
import { RelayError, type RelayConnection } from './relayConnection';
import { openSnapshot, sealSnapshot } from './snapshot';

/** What became of a snapshot the relay offered a new device. */
export type SnapshotFetch =
  | { kind: 'opened'; bytes: Uint8Array; state: Uint8Array; upToSeq: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'interrupted' };

export interface FetchSnapshotInput {
  connection: RelayConnection;
  room: Uint8Array;
  keys: Map<number, Uint8Array>;
  /** Hex signing keys of the members this device verified: only they may author a snapshot it applies. */
  members: Set<string>;
  frame: FrameOf<'snapshot'>;
}

/**
 * Download the offered snapshot blob and check it: it hashes to its address, is a snapshot of this room signed by
 * a verified member, covers exactly the `upToSeq` the relay announced, and opens under a key we hold. The relay
 * cannot forge one; a member could leave things out, as it could by writing deletions, so trusting a member's
 * snapshot trusts no one new.
 */
export async function fetchSnapshot(input: FetchSnapshotInput): Promise<SnapshotFetch> {
  const { connection, room, keys, members, frame } = input;
  let bytes: Uint8Array;
  try {
    bytes = await downloadBlob(connection, room, frame.hash, frame.size);
  } catch (error) {
    if (error instanceof RelayError && (error.code === 'offline' || error.code === 'timeout')) {
      return { kind: 'interrupted' };
    }
    return { kind: 'refused', reason: error instanceof RelayError ? error.code : 'download_failed' };
  }
  const opened = openSnapshot(bytes, room, (epoch) => keys.get(epoch));
  if (!opened.ok) return { kind: 'refused', reason: opened.reason };
  if (opened.upToSeq !== frame.upToSeq) return { kind: 'refused', reason: 'seq_mismatch' };
  if (!members.has(toHex(opened.envelope.author))) return { kind: 'refused', reason: 'unknown_author' };
  return { kind: 'opened', bytes, state: opened.state, upToSeq: opened.upToSeq };
}

/**
 * Store an adopted snapshot and move the cursor to it, in one transaction, unless the room already has history
 * here (then false: the caller reads from its cursor instead).
 */
export async function storeAdoptedSnapshot(
  db: HearthDb,
  roomHex: string,
  fetched: { bytes: Uint8Array; upToSeq: number },
): Promise<boolean> {
  return db.transaction('rw', db.cursors, db.snapshots, async () => {
    const cursor = (await db.cursors.get(roomHex)) ?? { room: roomHex, seq: 0, clock: 0, authors: {} };
    if (cursor.seq !== 0 || (await db.snapshots.get(roomHex))) return false;
    await db.snapshots.put({ room: roomHex, upToSeq: fetched.upToSeq, bytes: fetched.bytes });
    // Clocks count each author's envelopes, and a snapshot's state vector cannot say how many envelopes an author
    // had written, so no per-author clock is known here. The first envelope of each author after the snapshot is
    // accepted at any clock > 0, and that author's stream is checked for gaps and replays from there on.
    await db.cursors.put({ ...cursor, seq: fetched.upToSeq, authors: {} });
    return true;
  });
}

export interface PublishSnapshotInput {
  db: HearthDb;
  connection: RelayConnection;
  keyring: Keyring;
  room: Uint8Array;
  epoch: number;
  roomKey: Uint8Array;
  upToSeq: number;
  /** `Y.encodeStateAsUpdate` of a document holding exactly the room's envelopes up to `upToSeq`. */
  state: Uint8Array;
}

/**
 * Seal, upload (resumable, chunked) and name a snapshot for the room; keep it locally too, so this device also
 * loads faster. Resolves with the upToSeq of the snapshot the relay keeps (higher than ours if another device got
 * there first). Rejects with `RelayError`.
 */
export async function publishSnapshot(input: PublishSnapshotInput): Promise<number> {
  const { db, connection, room, upToSeq } = input;
  const bytes = sealSnapshot({
    room,
    author: input.keyring,
    epoch: input.epoch,
    roomKey: input.roomKey,
    upToSeq,
    state: input.state,
  });
  const hash = await uploadBlob(connection, room, bytes);
  const stored = await connection.request(
    { type: 'putSnapshot', room, upToSeq, hash },
    'snapshotStored',
    (reply) => bytesEqual(reply.room, room),
    room,
  );
  const roomHex = toHex(room);
  await db.transaction('rw', db.snapshots, async () => {
    const local = await db.snapshots.get(roomHex);
    if ((local?.upToSeq ?? 0) < upToSeq) await db.snapshots.put({ room: roomHex, upToSeq, bytes });
  });
  return stored.upToSeq;
}
