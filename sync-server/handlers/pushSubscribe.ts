import type { FrameOf } from '../../src/lib/protocol/frames';
import { MAX_PUSH_SUBSCRIPTIONS_PER_DEVICE } from '../../src/lib/protocol/limits';
import type { RelayContext } from '../context';
import { pushEndpointId } from '../push/endpointId';
import { pushEndpointProblem } from '../push/endpointRules';
import { isP256PublicKey } from '../push/subscriptionKeys';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/**
 * PUSH_SUBSCRIBE: keep the device's Web Push subscription (its newest MAX_PUSH_SUBSCRIPTIONS_PER_DEVICE) →
 * PUSH_SUBSCRIBED(endpointId); push_endpoint_invalid or push_key_invalid (ref endpointId) store nothing.
 */
export async function handlePushSubscribe(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'pushSubscribe'>,
  ctx: RelayContext,
): Promise<void> {
  const endpointId = pushEndpointId(frame.endpoint);
  const problem = pushEndpointProblem(frame.endpoint, ctx.config.pushAllowInsecureEndpoints);
  if (problem) throw new RelayError('push_endpoint_invalid', problem, endpointId);
  if (!isP256PublicKey(frame.p256dh)) {
    throw new RelayError('push_key_invalid', 'p256dh is not an uncompressed P-256 public key', endpointId);
  }
  await ctx.storage.putPushSubscription(
    { device: device.signPublic, endpoint: frame.endpoint, p256dh: frame.p256dh, auth: frame.auth },
    MAX_PUSH_SUBSCRIPTIONS_PER_DEVICE,
    Date.now(),
  );
  session.log.info({ device: device.tag }, 'push subscription stored');
  session.send({ type: 'pushSubscribed', endpointId });
}
