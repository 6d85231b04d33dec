import type { FrameOf } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import { requireRoomAllowance } from '../limits/roomLimit';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/**
 * CREATE_ROOM: a new room gets this device as its first member → ROOM_CREATED (also on a member's retry);
 * too_many_rooms if the device is already in MAX_ROOMS_PER_DEVICE rooms and not in this one.
 */
export async function handleCreateRoom(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'createRoom'>,
  ctx: RelayContext,
): Promise<void> {
  if (!(await ctx.storage.isMember(frame.room, device.identity.signPublic))) {
    await requireRoomAllowance(device, frame.room, ctx);
  }
  const outcome = await ctx.storage.createRoom(frame.room, device.identity, Date.now());
  if (outcome === 'exists') throw new RelayError('room_exists', 'a room with this id exists', frame.room);
  session.send({ type: 'roomCreated', room: frame.room });
}
