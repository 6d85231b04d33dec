import { sha256 } from '../crypto';
import type { Frame, FrameOf, FrameType } from '../protocol/frames';
import { bytesEqual } from '../protocol/hex';
import { BLOB_CHUNK_BYTES, MAX_BLOB_BYTES } from '../protocol/limits';
import { RelayError, type RelayConnection } from './relayConnection';

/** How often an upload asks where to resume after the relay refused an offset, before giving up. */
const MAX_OFFSET_RESYNCS = 3;

/**
 * Upload `bytes` (ciphertext) as a blob of `room`, addressed by their SHA-256, and resolve with that hash once the
 * relay holds it complete. Resumable: it first asks BLOB_STATUS and continues from what the relay already has, so
 * calling it again after a dropped connection sends only the rest. Rejects with `RelayError`.
 */
export async function uploadBlob(
  connection: RelayConnection,
  room: Uint8Array,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  if (bytes.length > MAX_BLOB_BYTES)
    throw new RelayError('blob_too_large', 'This file is too large to send.');
  const hash = await sha256(bytes);
  const isProgress = (reply: FrameOf<'blobProgress'>) => bytesEqual(reply.hash, hash);
  let progress = await ask(connection, { type: 'blobStatus', room, hash }, 'blobProgress', isProgress, hash);
  let resyncs = 0;
  while (!progress.complete) {
    const offset = progress.received;
    const chunk = bytes.subarray(offset, Math.min(offset + BLOB_CHUNK_BYTES, bytes.length));
    try {
      progress = await ask(
        connection,
        { type: 'blobPut', room, hash, size: bytes.length, offset, chunk },
        'blobProgress',
        isProgress,
        hash,
      );
    } catch (error) {
      // Another socket of ours (or a lost reply) moved the upload on: ask where it stands and carry on from there.
      if (!(error instanceof RelayError) || error.code !== 'blob_offset_mismatch') throw error;
      if (++resyncs > MAX_OFFSET_RESYNCS) throw error;
      progress = await ask(connection, { type: 'blobStatus', room, hash }, 'blobProgress', isProgress, hash);
    }
  }
  return hash;
}

/**
 * Download blob `hash` of `room` (BLOB_GET, one chunk per round trip, so a slow link is never flooded), and resolve
 * with its bytes once they are `size` long and hash to `hash`. Rejects with `RelayError`.
 */
export async function downloadBlob(
  connection: RelayConnection,
  room: Uint8Array,
  hash: Uint8Array,
  size: number,
): Promise<Uint8Array> {
  if (size > MAX_BLOB_BYTES)
    throw new RelayError('blob_too_large', 'The relay offered a blob over the limit.');
  const out = new Uint8Array(size);
  let offset = 0;
  while (offset < size) {
    const at = offset;
    const reply = await ask(
      connection,
      { type: 'blobGet', room, hash, offset: at },
      'blobChunk',
      (chunk) => bytesEqual(chunk.hash, hash) && chunk.offset === at,
      hash,
    );
    if (reply.size !== size || reply.chunk.length === 0 || at + reply.chunk.length > size) {
      throw new RelayError('blob_hash_mismatch', 'The relay sent a blob of another size.');
    }
    out.set(reply.chunk, at);
    offset += reply.chunk.length;
  }
  if (!bytesEqual(await sha256(out), hash)) {
    throw new RelayError('blob_hash_mismatch', 'The downloaded blob does not match its hash.');
  }
  return out;
}

/** One request that also fails at once ('offline') if the connection drops while it waits. */
function ask<T extends FrameType>(
  connection: RelayConnection,
  frame: Frame,
  replyType: T,
  matches: (reply: FrameOf<T>) => boolean,
  ref: Uint8Array,
): Promise<FrameOf<T>> {
  return new Promise((resolve, reject) => {
    const off = connection.onStatus((status) => {
      if (status === 'online') return;
      off();
      reject(new RelayError('offline', 'The connection to the relay dropped.'));
    });
    connection.request(frame, replyType, matches, ref).then(
      (reply) => {
        off();
        resolve(reply);
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}
