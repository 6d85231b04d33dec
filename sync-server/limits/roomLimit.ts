import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice } from '../session';

/**
 * Refuse with `too_many_rooms` (ref `ref`) if `device` already belongs to the most rooms a device may. Call it only
 * when the request would add a room, so a member's idempotent retry still succeeds at the limit. Checked before the
 * write, not inside it: one device racing joins on several sockets may overshoot by at most its socket count.
 */
export async function requireRoomAllowance(
  device: AuthedDevice,
  ref: Uint8Array,
  ctx: RelayContext,
): Promise<void> {
  const max = ctx.config.maxRoomsPerDevice;
  if ((await ctx.storage.countRooms(device.identity.signPublic)) < max) return;
  throw new RelayError('too_many_rooms', `a device may belong to at most ${max} rooms`, ref);
}
