import type { FrameOf } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import { pushEndpointId } from '../push/endpointId';
import type { AuthedDevice, Session } from '../session';

/**
 * PUSH_UNSUBSCRIBE: forget this device's subscription with that endpoint → PUSH_UNSUBSCRIBED(endpointId), also
 * when there was none (idempotent). Another device's subscription is never touched.
 */
export async function handlePushUnsubscribe(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'pushUnsubscribe'>,
  ctx: RelayContext,
): Promise<void> {
  const removed = await ctx.storage.deletePushSubscription(device.signPublic, frame.endpoint);
  session.log.info({ device: device.tag, removed }, 'push subscription removed');
  session.send({ type: 'pushUnsubscribed', endpointId: pushEndpointId(frame.endpoint) });
}
