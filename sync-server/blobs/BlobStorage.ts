/**
 * Ciphertext blobs (attachments, room snapshots) and the pointer to each room's latest snapshot, behind one
 * Promise-returning interface: SQLite by default, PostgreSQL when scaled out. A blob is addressed by (room, hash):
 * the same bytes posted to two rooms are two blobs, and a blob is only ever read through the room it was posted to.
 * Storage never checks hashes or membership; the handlers do, before and after calling it.
 */
export interface BlobStorage {
  /** What is stored of blob `hash` in `room`, or undefined if nothing is. */
  status(room: Uint8Array, hash: Uint8Array): Promise<BlobState | undefined>;
  /**
   * In one durable transaction: create the blob on its first chunk, then append `chunk` at `offset` if and only if
   * `offset` is exactly the bytes received so far and `size` is the blob's declared size. A blob already complete is
   * left alone (the caller answers as for a finished upload).
   */
  appendChunk(put: ChunkPut, now: number): Promise<AppendChunkOutcome>;
  /** Up to `maxBytes` of the stored bytes from `offset` (complete or not); empty past what is stored. */
  readRange(room: Uint8Array, hash: Uint8Array, offset: number, maxBytes: number): Promise<Uint8Array>;
  /** Mark a fully received, hash-checked blob complete. */
  markComplete(room: Uint8Array, hash: Uint8Array): Promise<void>;
  /** Forget an incomplete blob and its chunks (after a hash mismatch). A complete blob is never discarded. */
  discard(room: Uint8Array, hash: Uint8Array): Promise<void>;
  /**
   * Keep `snapshot` as the room's latest if its `upToSeq` is higher than the one kept (the first one stored wins a
   * tie). Resolves with the snapshot the room keeps afterwards. In the same transaction, the snapshot blob this
   * leaves unused (the one replaced, or `snapshot`'s own when another is kept) is marked retired at `now`, but only
   * if the device that named it as a snapshot is the one that uploaded it: no member can get another's attachment
   * deleted by naming it a snapshot.
   */
  putSnapshot(snapshot: NewSnapshot, now: number): Promise<StoredSnapshot>;
  /**
   * Delete up to `limit` snapshot blobs retired at or before `retiredBefore` (and their chunks), unless one is its
   * room's snapshot again. Resolves with how many were deleted. A device still downloading one gets
   * `blob_not_found` and catches up without it.
   */
  sweepRetiredSnapshots(retiredBefore: number, limit: number): Promise<number>;
  /** The room's latest snapshot with its blob's size, or undefined. */
  latestSnapshot(room: Uint8Array): Promise<StoredSnapshot | undefined>;
  close(): Promise<void>;
}

export interface BlobState {
  size: number;
  received: number;
  complete: boolean;
}

export interface ChunkPut {
  room: Uint8Array;
  hash: Uint8Array;
  size: number;
  offset: number;
  chunk: Uint8Array;
  /** The uploading device's signing key (recorded with the first chunk). */
  device: Uint8Array;
}

export type AppendChunkOutcome =
  | { kind: 'appended'; received: number; size: number }
  | { kind: 'complete'; size: number }
  | { kind: 'offset_mismatch'; expected: number }
  | { kind: 'size_mismatch'; size: number };

export interface NewSnapshot {
  room: Uint8Array;
  upToSeq: number;
  hash: Uint8Array;
  createdBy: Uint8Array;
}

export interface StoredSnapshot {
  upToSeq: number;
  hash: Uint8Array;
  size: number;
}
