import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import type { Frame } from '../../src/lib/protocol/frames';
import { LINK_ID_BYTES } from '../../src/lib/protocol/limits';
import { deviceCertSignedBytes, revokeSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import { randomBytesOf, type Signer, type TestDevice } from './relayClient';

/** The LINK_DEVICE frame an identity sends to certify `device` (the certificate signed by `signer`, default the identity). */
export function linkFrame(
  identity: TestDevice,
  device: TestDevice,
  options: { signer?: Signer; createdAt?: number; grant?: Uint8Array; linkId?: Uint8Array } = {},
): Extract<Frame, { type: 'linkDevice' }> {
  const createdAt = options.createdAt ?? Date.now();
  const certificate = (options.signer ?? identity).sign(
    withDomain(
      SIGN_DOMAIN.device,
      deviceCertSignedBytes(identity.publicKey, device.publicKey, device.boxPublic, createdAt),
    ),
  );
  return {
    type: 'linkDevice',
    signPublic: device.publicKey,
    boxPublic: device.boxPublic,
    createdAt,
    certificate,
    linkId: options.linkId ?? randomBytesOf(LINK_ID_BYTES),
    grant: options.grant ?? randomBytesOf(200),
  };
}

/** A hearth-revoke-v1 signature by `signer` revoking `device` at `at`. */
export function revocationSignature(signer: Signer, device: Uint8Array, at: number): Uint8Array {
  return signer.sign(withDomain(SIGN_DOMAIN.revoke, revokeSignedBytes(device, at)));
}

/** The REVOKE_DEVICE frame by which `identity` removes `device` at `at`. */
export function revokeFrame(
  identity: Signer,
  device: Uint8Array,
  at: number,
): Extract<Frame, { type: 'revokeDevice' }> {
  return { type: 'revokeDevice', device, at, signature: revocationSignature(identity, device, at) };
}
