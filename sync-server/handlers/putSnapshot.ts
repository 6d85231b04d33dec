import type { FrameOf } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { roomHead } from './roomHead';

/**
 * PUT_SNAPSHOT: a member names complete blob `hash` of `room` as a sealed snapshot of everything up to `upToSeq`
 * (1 ≤ upToSeq ≤ the room's head). The relay keeps the highest per room → SNAPSHOT_STORED(upToSeq of the one it
 * keeps). It cannot open the snapshot; devices check its signature and author. Errors carry the room as ref.
 */
export async function handlePutSnapshot(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'putSnapshot'>,
  ctx: RelayContext,
): Promise<void> {
  const { room, upToSeq, hash } = frame;
  if (!(await ctx.storage.isMember(room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', room);
  }
  const blob = await ctx.blobs.status(room, hash);
  if (!blob?.complete) {
    throw new RelayError('blob_not_found', 'upload the snapshot blob to this room first', room);
  }
  const head = await roomHead(ctx, room);
  if (upToSeq < 1 || upToSeq > head) {
    throw new RelayError('snapshot_invalid', `upToSeq must be between 1 and the room's head, ${head}`, room);
  }
  const kept = await ctx.blobs.putSnapshot({ room, upToSeq, hash, createdBy: device.signPublic }, Date.now());
  session.send({ type: 'snapshotStored', room, upToSeq: kept.upToSeq });
}
