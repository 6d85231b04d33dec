import type { RelayContext } from '../context';
import type { AuthedDevice, Session } from '../session';

/**
 * LIST_ROOMS → ROOM_LIST: every room the socket's identity is a member of. The relay also sends ROOM_LIST by itself
 * whenever a membership change adds the identity to a room or takes it out of one, so a person added to a
 * conversation learns of it without an invite link.
 */
export async function handleListRooms(
  session: Session,
  device: AuthedDevice,
  ctx: RelayContext,
): Promise<void> {
  session.send({ type: 'roomList', rooms: await ctx.storage.listRoomsOf(device.identity.signPublic) });
}
