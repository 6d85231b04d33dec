import type { FrameOf } from '../../src/lib/protocol/frames';
import { finishBlob } from '../blobs/finishBlob';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/**
 * BLOB_STATUS: for a member, how much of blob `hash` the relay holds in `room` → BLOB_PROGRESS(received,
 * complete); `received` 0 for a blob it has never seen. An upload resumes with BLOB_PUT at `received`.
 */
export async function handleBlobStatus(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'blobStatus'>,
  ctx: RelayContext,
): Promise<void> {
  const { room, hash } = frame;
  if (!(await ctx.storage.isMember(room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', hash);
  }
  let state = await ctx.blobs.status(room, hash);
  if (state && !state.complete && state.received === state.size) {
    // Every byte arrived but the relay stopped before checking the hash: settle it now.
    const complete = await finishBlob(ctx.blobs, room, hash, state.size);
    state = complete ? { ...state, complete } : undefined;
  }
  session.send({
    type: 'blobProgress',
    hash,
    received: state?.received ?? 0,
    complete: state?.complete ?? false,
  });
}
