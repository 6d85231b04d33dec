import type { FrameOf } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { Subscription } from '../subscription';

/**
 * SUBSCRIBE: for a member, MEMBERS (and DEVICES, MEMBERSHIP_LOG, KEY_BUNDLE, if any), then every envelope after
 * `afterSeq` in DELIVER pages, then CAUGHT_UP, then live DELIVERs. Subscribing again to the same room restarts from
 * the new `afterSeq`.
 */
export async function handleSubscribe(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'subscribe'>,
  ctx: RelayContext,
): Promise<void> {
  const key = toHex(frame.room);
  session.subscriptions.get(key)?.close();
  session.subscriptions.delete(key);
  if (!(await ctx.storage.isMember(frame.room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', frame.room);
  }
  // A socket that closed meanwhile has ended its subscriptions already: one made now would never end, and would count
  // its device as reading the room (no pushes about it) for as long as the relay runs.
  if (!session.isOpen) return;
  // A copy: the subscription lives as long as the socket, and a view would keep the frame's whole socket read alive.
  const subscription = new Subscription(frame.room.slice(), frame.afterSeq, session, device, ctx);
  session.subscriptions.set(key, subscription);
  subscription.start();
}
