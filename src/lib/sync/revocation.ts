import { signDetached } from '../crypto';
import { SIGN_DOMAIN } from '../protocol/domains';
import { revokeSignedBytes, withDomain } from '../protocol/signedPayloads';
import type { Keyring } from './keyring';

/** Sign, with the device's own key, that the relay must accept nothing more from this device after `at`. */
export function signRevocation(keyring: Keyring, at: number): { device: Uint8Array; signature: Uint8Array } {
  const device = keyring.signPublic;
  const signature = signDetached(
    withDomain(SIGN_DOMAIN.revoke, revokeSignedBytes(device, at)),
    keyring.signSecret,
  );
  return { device, signature };
}
