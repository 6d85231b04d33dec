import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { claimSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import type { RelayContext } from '../context';
import { requireRoomAllowance } from '../limits/roomLimit';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { verifyEd25519 } from '../verifySignature';
import { publishMembers } from '../publishMembers';
import { requireUsableInvite } from './usableInvite';

/**
 * CLAIM_INVITE: a signature by the invite's claim key over (inviteId, this identity's keys) makes the identity a member,
 * once → CLAIMED; then every live subscriber of the room gets a fresh MEMBERS.
 */
export async function handleClaimInvite(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'claimInvite'>,
  ctx: RelayContext,
): Promise<void> {
  const now = Date.now();
  const stored = await ctx.storage.getInvite(frame.inviteId);
  const invite = requireUsableInvite(stored, frame.inviteId, device, now);
  const signed = withDomain(
    SIGN_DOMAIN.claim,
    claimSignedBytes(frame.inviteId, device.identity.signPublic, device.identity.boxPublic),
  );
  if (!verifyEd25519(invite.claimPublic, signed, frame.signature)) {
    throw new RelayError('bad_signature', 'the claim signature does not verify', frame.inviteId);
  }
  if (!(await ctx.storage.isMember(invite.room, device.identity.signPublic))) {
    await requireRoomAllowance(device, frame.inviteId, ctx);
  }
  const outcome = await ctx.storage.claimInvite(frame.inviteId, device.identity, frame.signature, now);
  if (outcome.kind === 'not_found')
    throw new RelayError('invite_not_found', 'no invite with this id', frame.inviteId);
  if (outcome.kind === 'used')
    throw new RelayError('invite_used', 'this invite was already used', frame.inviteId);
  session.send({ type: 'claimed', inviteId: frame.inviteId, room: outcome.room });
  publishMembers(outcome.room, ctx);
}
