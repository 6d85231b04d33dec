import { DecryptError } from './errors';
import { na } from './sodium';

/** Seal bytes (a room key) so only the holder of `boxPublic`'s secret half can open them. */
export function sealToDevice(boxPublic: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return na().crypto_box_seal(plaintext, boxPublic);
}

/** Open a sealed box addressed to this device; throws `DecryptError` if it was not, or was altered. */
export function openSealed(boxPublic: Uint8Array, boxSecret: Uint8Array, sealed: Uint8Array): Uint8Array {
  try {
    return na().crypto_box_seal_open(sealed, boxPublic, boxSecret);
  } catch {
    throw new DecryptError('sealed box could not be opened');
  }
}
