import { na } from './sodium';

/** A device's identity: Ed25519 for signing, X25519 for receiving sealed keys. Made on the device, never sent. */
export interface DeviceKeys {
  signPublic: Uint8Array;
  signSecret: Uint8Array;
  boxPublic: Uint8Array;
  boxSecret: Uint8Array;
}

/** Make a fresh device identity. */
export function generateDeviceKeys(): DeviceKeys {
  const sign = na().crypto_sign_keypair();
  const box = na().crypto_box_keypair();
  return {
    signPublic: sign.publicKey,
    signSecret: sign.privateKey,
    boxPublic: box.publicKey,
    boxSecret: box.privateKey,
  };
}
