import type { FrameOf } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import type { AuthedDevice, Session } from '../session';
import { requireUsableInvite } from './usableInvite';

/** GET_INVITE: the sealed invite for a device that may still claim it (or already did) → INVITE. */
export async function handleGetInvite(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'getInvite'>,
  ctx: RelayContext,
): Promise<void> {
  const stored = await ctx.storage.getInvite(frame.inviteId);
  const invite = requireUsableInvite(stored, frame.inviteId, device, Date.now());
  session.send({
    type: 'invite',
    inviteId: invite.inviteId,
    room: invite.room,
    expiresAt: invite.expiresAt,
    box: invite.box,
  });
}
