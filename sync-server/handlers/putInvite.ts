import type { FrameOf } from '../../src/lib/protocol/frames';
import { INVITE_TTL_MS } from '../../src/lib/protocol/limits';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/** Clocks differ between devices: allow an invite's expiry this far beyond the TTL. */
const EXPIRY_SLACK_MS = 60_000;

/** PUT_INVITE: a member stores a sealed invite for its room under a new id until `expiresAt` → INVITE_STORED. */
export async function handlePutInvite(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'putInvite'>,
  ctx: RelayContext,
): Promise<void> {
  if (!(await ctx.storage.isMember(frame.room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', frame.room);
  }
  const now = Date.now();
  if (frame.expiresAt <= now) {
    throw new RelayError('malformed_frame', 'invite expiresAt is in the past', frame.inviteId);
  }
  if (frame.expiresAt > now + INVITE_TTL_MS + EXPIRY_SLACK_MS) {
    const days = INVITE_TTL_MS / 86_400_000;
    throw new RelayError(
      'malformed_frame',
      `invite expiresAt is more than ${days} days ahead`,
      frame.inviteId,
    );
  }
  const outcome = await ctx.storage.putInvite(
    {
      inviteId: frame.inviteId,
      room: frame.room,
      claimPublic: frame.claimPublic,
      expiresAt: frame.expiresAt,
      box: frame.box,
      createdBy: device.identity.signPublic,
    },
    now,
  );
  if (outcome === 'duplicate') {
    throw new RelayError('duplicate_id', 'an invite with this id exists', frame.inviteId);
  }
  session.send({ type: 'inviteStored', inviteId: frame.inviteId });
}
