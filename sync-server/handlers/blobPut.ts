import type { FrameOf } from '../../src/lib/protocol/frames';
import { MAX_BLOB_BYTES } from '../../src/lib/protocol/limits';
import { finishBlob } from '../blobs/finishBlob';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/**
 * BLOB_PUT: a member appends the chunk at `offset` of blob `hash` in `room` → BLOB_PROGRESS(received, complete).
 * `offset` must be exactly what the relay holds (resume from BLOB_STATUS's `received`); the last chunk completes
 * the blob only if SHA-256 of all its bytes is `hash`, else the upload is discarded. A blob already complete in the
 * room is answered as complete (idempotent). Errors carry the hash as ref.
 */
export async function handleBlobPut(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'blobPut'>,
  ctx: RelayContext,
): Promise<void> {
  const { room, hash, size, offset, chunk } = frame;
  if (!(await ctx.storage.isMember(room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', hash);
  }
  if (size > MAX_BLOB_BYTES) {
    throw new RelayError('blob_too_large', `a blob may be at most ${MAX_BLOB_BYTES} bytes`, hash);
  }
  if (size === 0 || chunk.length === 0) {
    throw new RelayError('malformed_frame', 'a blob and each of its chunks hold at least one byte', hash);
  }
  if (offset + chunk.length > size) {
    throw new RelayError('malformed_frame', `the chunk runs past the blob's size of ${size} bytes`, hash);
  }
  const outcome = await ctx.blobs.appendChunk(
    { room, hash, size, offset, chunk, device: device.signPublic },
    Date.now(),
  );
  switch (outcome.kind) {
    case 'complete':
      session.send({ type: 'blobProgress', hash, received: outcome.size, complete: true });
      return;
    case 'size_mismatch':
      throw new RelayError('malformed_frame', `this blob was declared with size ${outcome.size}`, hash);
    case 'offset_mismatch':
      throw new RelayError(
        'blob_offset_mismatch',
        `expected offset ${outcome.expected}; the relay holds ${outcome.expected} bytes of this blob`,
        hash,
      );
    case 'appended':
      if (outcome.received < outcome.size) {
        session.send({ type: 'blobProgress', hash, received: outcome.received, complete: false });
        return;
      }
      if (!(await finishBlob(ctx.blobs, room, hash, outcome.size))) {
        throw new RelayError(
          'blob_hash_mismatch',
          'the SHA-256 of the uploaded bytes is not the blob hash; the upload was discarded',
          hash,
        );
      }
      session.send({ type: 'blobProgress', hash, received: outcome.size, complete: true });
      return;
  }
}
