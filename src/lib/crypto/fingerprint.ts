import { na } from './sodium';

/** A 32-byte fingerprint of a signing key: what invites carry and safety numbers are built from. */
export function keyFingerprint(signPublic: Uint8Array): Uint8Array {
  return na().crypto_generichash(32, signPublic, null);
}

/** A fingerprint as people read it aloud: 12 groups of 5 digits. */
export function formatFingerprint(fingerprint: Uint8Array): string {
  // 12 groups of 5 bytes need 60 bytes. Wrapping around the 32-byte fingerprint would repeat the first six
  // groups as the last six (and never read its last two bytes), so half of what people compare would carry
  // nothing; stretch it with BLAKE2b instead so every group is independent.
  const digest = na().crypto_generichash(60, fingerprint, null);
  const groups: string[] = [];
  for (let i = 0; i < 12; i++) {
    const chunk = digest.subarray(i * 5, i * 5 + 5);
    let value = 0;
    for (const byte of chunk) value = (value * 256 + byte) % 100000;
    groups.push(String(value).padStart(5, '0'));
  }
  return groups.join(' ');
}
