import { sha256Sync, signDetached, verifyDetached } from '../crypto';
import { encodeMembershipBody, encodeMembershipEntry, type MembershipBody } from '../protocol/membership';
import { membershipSignedBytes, type MembershipCrypto } from './membership';

/** The fold's two primitives on a device: libsodium's Ed25519 check and SHA-256. */
export const deviceMembershipCrypto: MembershipCrypto = {
  verify: (signature, message, publicKey) => verifyDetached(signature, message, publicKey),
  sha256: sha256Sync,
};

/**
 * For refolding the copy of the log kept in the room's record: sealed under the device's storage key, it holds only
 * entries whose signatures were checked when they arrived, so only the hash chain is recomputed (opening many
 * conversations at once then costs no signature checks).
 */
export const keptLogCrypto: MembershipCrypto = { verify: () => true, sha256: sha256Sync };

/** Sign a membership entry with the identity's key (`hearth-membership-v1`); returns the entry's bytes. */
export function signMembershipEntry(body: MembershipBody, signSecret: Uint8Array): Uint8Array {
  const signature = signDetached(membershipSignedBytes(encodeMembershipBody(body)), signSecret);
  return encodeMembershipEntry({ ...body, signature });
}
