import type { FrameOf } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/** CREATE_ROOM: a new room gets this device as its first member → ROOM_CREATED (also on a member's retry). */
export async function handleCreateRoom(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'createRoom'>,
  ctx: RelayContext,
): Promise<void> {
  const outcome = await ctx.storage.createRoom(frame.room, device, Date.now());
  if (outcome === 'exists') throw new RelayError('room_exists', 'a room with this id exists', frame.room);
  session.send({ type: 'roomCreated', room: frame.room });
}
