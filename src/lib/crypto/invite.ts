import { na } from './sodium';

/**
 * Everything an invite needs, derived from the one-time secret in the link's fragment (which the relay never
 * sees): the id the relay files the invite under, the key that seals the invite's contents, and the Ed25519 key
 * that proves to the relay, and later to the inviter, that a device held the link.
 */
export interface InviteKeys {
  inviteId: Uint8Array;
  boxKey: Uint8Array;
  claimPublic: Uint8Array;
  claimSecret: Uint8Array;
}

export const INVITE_SECRET_BYTES = 32;
const KDF_CONTEXT = 'hrthinvt'; // crypto_kdf contexts are exactly 8 bytes

/** Derive the invite's id, sealing key and claim key pair from its secret. */
export function deriveInviteKeys(secret: Uint8Array): InviteKeys {
  const sodium = na();
  const inviteId = sodium.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT, secret);
  const boxKey = sodium.crypto_kdf_derive_from_key(32, 2, KDF_CONTEXT, secret);
  const claimSeed = sodium.crypto_kdf_derive_from_key(32, 3, KDF_CONTEXT, secret);
  const claim = sodium.crypto_sign_seed_keypair(claimSeed);
  return { inviteId, boxKey, claimPublic: claim.publicKey, claimSecret: claim.privateKey };
}
