import { na } from './sodium';

/** A 32-byte fingerprint of a signing key: what invites carry and safety numbers are built from. */
export function keyFingerprint(signPublic: Uint8Array): Uint8Array {
  return na().crypto_generichash(32, signPublic, null);
}

/** A fingerprint as people read it aloud: 12 groups of 5 digits. */
export function formatFingerprint(fingerprint: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 12; i++) {
    const chunk = fingerprint.subarray((i * 5) % 30, ((i * 5) % 30) + 5);
    let value = 0;
    for (const byte of chunk) value = (value * 256 + byte) % 100000;
    groups.push(String(value).padStart(5, '0'));
  }
  return groups.join(' ');
}
