import { deriveInviteKeys, verifyDetached } from '../crypto';
import type { Member } from '../protocol/frames';
import { SIGN_DOMAIN } from '../protocol/domains';
import { bytesEqual, toHex } from '../protocol/hex';
import { claimSignedBytes, withDomain } from '../protocol/signedPayloads';

/**
 * What this device knows, out of band, about who may write to a room: the creator's key (from the invite link's
 * fragment, or ourselves) and the secrets of invites we made or used. The relay's member list is a claim; a
 * member counts only if we can check it against these, so a relay cannot slip in a device of its own.
 */
export interface RoomTrust {
  creator: Uint8Array;
  inviteSecrets: Uint8Array[];
}

/** The hex signing keys of the members we can verify. */
export function verifiedMembers(trust: RoomTrust, members: Member[]): Set<string> {
  const verified = new Set<string>([toHex(trust.creator)]);
  for (const member of verifiedClaimers(trust, members)) verified.add(toHex(member.signPublic));
  return verified;
}

/** The members (other than the creator) whose invite claim verifies under an invite secret we hold. */
export function verifiedClaimers(trust: RoomTrust, members: Member[]): Member[] {
  const claimKeys = new Map<string, Uint8Array>();
  for (const secret of trust.inviteSecrets) {
    const keys = deriveInviteKeys(secret);
    claimKeys.set(toHex(keys.inviteId), keys.claimPublic);
  }
  return members.filter((member) => {
    if (bytesEqual(member.signPublic, trust.creator)) return false;
    const claimPublic = claimKeys.get(toHex(member.inviteId));
    if (!claimPublic) return false;
    const signed = withDomain(
      SIGN_DOMAIN.claim,
      claimSignedBytes(member.inviteId, member.signPublic, member.boxPublic),
    );
    return verifyDetached(member.proof, signed, claimPublic);
  });
}
