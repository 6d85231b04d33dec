import type { FrameOf } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { handleSubscribe } from './subscribe';

/**
 * SUBSCRIBE_LATEST: for a member, SNAPSHOT(room, upToSeq, hash, size) of the room's latest snapshot, then exactly
 * SUBSCRIBE(room, upToSeq); without a snapshot, exactly SUBSCRIBE(room, 0). A new device downloads the snapshot
 * blob and applies the tail instead of every update.
 */
export async function handleSubscribeLatest(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'subscribeLatest'>,
  ctx: RelayContext,
): Promise<void> {
  const { room } = frame;
  // Stop the previous subscription before SNAPSHOT goes out, so nothing of the old stream follows it.
  const key = toHex(room);
  session.subscriptions.get(key)?.close();
  session.subscriptions.delete(key);
  if (!(await ctx.storage.isMember(room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', room);
  }
  const snapshot = await ctx.blobs.latestSnapshot(room);
  if (snapshot) {
    session.send({
      type: 'snapshot',
      room,
      upToSeq: snapshot.upToSeq,
      hash: snapshot.hash,
      size: snapshot.size,
    });
  }
  await handleSubscribe(session, device, { type: 'subscribe', room, afterSeq: snapshot?.upToSeq ?? 0 }, ctx);
}
