import { createHash } from 'node:crypto';
import { BLOB_CHUNK_BYTES } from '../../src/lib/protocol/limits';
import { bytesEqual } from '../../src/lib/protocol/hex';
import type { BlobStorage } from './BlobStorage';

/**
 * A blob whose every byte is stored: hash it (SHA-256, reading back one chunk at a time) and mark it complete if
 * the hash is its address, or discard the partial upload if not. Also used to settle a blob a crash left fully
 * received but unmarked. Resolves true when the blob is complete.
 */
export async function finishBlob(
  blobs: BlobStorage,
  room: Uint8Array,
  hash: Uint8Array,
  size: number,
): Promise<boolean> {
  const digest = createHash('sha256');
  for (let offset = 0; offset < size;) {
    const bytes = await blobs.readRange(room, hash, offset, BLOB_CHUNK_BYTES);
    if (bytes.length === 0) break; // a hole: the hash below cannot match
    digest.update(bytes);
    offset += bytes.length;
  }
  if (bytesEqual(new Uint8Array(digest.digest()), hash)) {
    await blobs.markComplete(room, hash);
    return true;
  }
  await blobs.discard(room, hash);
  return false;
}
