import type { RelayContext } from '../context';
import type { AuthedDevice, Session } from '../session';

/** LIST_DEVICES: the identity's own key and linked devices with their last activity → DEVICE_LIST. */
export async function handleListDevices(
  session: Session,
  device: AuthedDevice,
  ctx: RelayContext,
): Promise<void> {
  const devices = await ctx.storage.listOwnDevices(device.identity.signPublic);
  session.send({ type: 'deviceList', devices });
}
