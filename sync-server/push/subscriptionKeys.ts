import { createECDH } from 'node:crypto';

/**
 * True if `p256dh` is an uncompressed point on P-256, as RFC 8291 requires of a subscription's public key. Checked
 * when a device registers, so a bad key is refused then with an error, not found later by every send failing.
 */
export function isP256PublicKey(p256dh: Uint8Array): boolean {
  if (p256dh[0] !== 0x04) return false;
  try {
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(p256dh);
    return true;
  } catch {
    return false; // Node throws ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY for a point off the curve
  }
}
