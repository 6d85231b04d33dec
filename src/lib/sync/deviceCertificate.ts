import { signDetached, verifyDetached } from '../crypto';
import { SIGN_DOMAIN } from '../protocol/domains';
import { deviceCertSignedBytes, revokeSignedBytes, withDomain } from '../protocol/signedPayloads';

/** The identity's hearth-device-v1 signature: these device keys act for it from `createdAt`. */
export function signDeviceCertificate(
  identitySignSecret: Uint8Array,
  identity: Uint8Array,
  device: { signPublic: Uint8Array; boxPublic: Uint8Array },
  createdAt: number,
): Uint8Array {
  return signDetached(
    withDomain(
      SIGN_DOMAIN.device,
      deviceCertSignedBytes(identity, device.signPublic, device.boxPublic, createdAt),
    ),
    identitySignSecret,
  );
}

/** True only if `certificate` is `identity`'s signature over exactly these device keys and time. */
export function verifyDeviceCertificate(
  identity: Uint8Array,
  device: { signPublic: Uint8Array; boxPublic: Uint8Array },
  createdAt: number,
  certificate: Uint8Array,
): boolean {
  return verifyDetached(
    certificate,
    withDomain(
      SIGN_DOMAIN.device,
      deviceCertSignedBytes(identity, device.signPublic, device.boxPublic, createdAt),
    ),
    identity,
  );
}

/** A hearth-revoke-v1 signature revoking `device` at `at`, by the device itself or by its identity. */
export function signRevocation(signSecret: Uint8Array, device: Uint8Array, at: number): Uint8Array {
  return signDetached(withDomain(SIGN_DOMAIN.revoke, revokeSignedBytes(device, at)), signSecret);
}

/** True if the device or its identity signed this revocation: no one else can end a device. */
export function verifyRevocation(
  device: Uint8Array,
  identity: Uint8Array,
  at: number,
  signature: Uint8Array,
): boolean {
  const signed = withDomain(SIGN_DOMAIN.revoke, revokeSignedBytes(device, at));
  return verifyDetached(signature, signed, device) || verifyDetached(signature, signed, identity);
}
