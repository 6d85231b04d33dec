import { createHash } from 'node:crypto';
import type { MembershipCrypto } from '../src/lib/sync/membership';
import { verifyEd25519 } from './verifySignature';

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/** The membership fold's primitives on the relay: sodium-native's Ed25519 check and node:crypto's SHA-256. */
export const relayMembershipCrypto: MembershipCrypto = {
  verify: (signature, message, publicKey) => verifyEd25519(publicKey, message, signature),
  sha256,
};

/**
 * For refolding the stored log: every stored entry's signature was checked when it was accepted, so only the hash
 * chain is recomputed (a change is judged against the whole log, which would otherwise cost one check per entry).
 */
export const storedLogCrypto: MembershipCrypto = { verify: () => true, sha256 };
