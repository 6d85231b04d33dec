import type { FrameOf } from '../../src/lib/protocol/frames';
import { BLOB_CHUNK_BYTES } from '../../src/lib/protocol/limits';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { HIGH_WATER_BYTES } from '../subscription';

const DRAIN_POLL_MS = 10;

/**
 * BLOB_GET: for a member, one BLOB_CHUNK of up to BLOB_CHUNK_BYTES of complete blob `hash` from `offset`; the
 * device asks again from offset + chunk length until it has `size` bytes. A blob posted to another room, or not yet
 * complete, is `blob_not_found`. Errors carry the hash as ref.
 */
export async function handleBlobGet(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'blobGet'>,
  ctx: RelayContext,
): Promise<void> {
  const { room, hash, offset } = frame;
  if (!(await ctx.storage.isMember(room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', hash);
  }
  const state = await ctx.blobs.status(room, hash);
  if (!state?.complete) throw new RelayError('blob_not_found', 'no such blob in this room', hash);
  if (offset >= state.size) {
    throw new RelayError('blob_offset_mismatch', `offset must be below the size, ${state.size}`, hash);
  }
  // A reader that does not drain its socket holds up its own next frame, not relay memory: frames of one socket
  // are handled in order, so pipelined BLOB_GETs wait here one at a time.
  while (session.isOpen && session.bufferedAmount > HIGH_WATER_BYTES) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  if (!session.isOpen) return;
  const chunk = await ctx.blobs.readRange(room, hash, offset, BLOB_CHUNK_BYTES);
  session.send({ type: 'blobChunk', hash, size: state.size, offset, chunk });
}
