import { z } from 'zod';
import {
  AEAD_NONCE_BYTES,
  decryptWithKey,
  deriveLinkKeys,
  encryptWithKey,
  fromBase64Url,
  LINK_SECRET_BYTES,
  linkComparison,
  newNonce,
  randomBytes,
  toBase64Url,
} from '../crypto';
import { concatBytes } from '../protocol/hex';
import { MAX_NAME_CHARS, PUBLIC_KEY_BYTES } from '../protocol/limits';
import { verifyDeviceCertificate } from './deviceCertificate';
import type { PublicKeys } from './keyring';

/** What the new device shows (as text to copy or type) and the old device reads. */
export interface LinkCode {
  secret: Uint8Array;
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
}

const CODE_PREFIX = 'hearth-link-1.';

export class LinkError extends Error {
  constructor(
    readonly code: 'malformed' | 'tampered',
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

export function newLinkSecret(): Uint8Array {
  return randomBytes(LINK_SECRET_BYTES);
}

export function encodeLinkCode(code: LinkCode): string {
  return `${CODE_PREFIX}${toBase64Url(code.secret)}.${toBase64Url(code.signPublic)}.${toBase64Url(code.boxPublic)}`;
}

/** Parse a pasted or typed code (spaces and line breaks ignored); throws `LinkError('malformed')`. */
export function decodeLinkCode(text: string): LinkCode {
  const compact = text.replace(/\s+/g, '');
  const parts = compact.startsWith(CODE_PREFIX) ? compact.slice(CODE_PREFIX.length).split('.') : [];
  try {
    if (parts.length !== 3) throw new Error('wrong shape');
    const [secret, signPublic, boxPublic] = parts.map(fromBase64Url);
    if (
      secret.length !== LINK_SECRET_BYTES ||
      signPublic.length !== PUBLIC_KEY_BYTES ||
      boxPublic.length !== PUBLIC_KEY_BYTES
    ) {
      throw new Error('wrong size');
    }
    return { secret, signPublic, boxPublic };
  } catch {
    throw new LinkError(
      'malformed',
      'This code is incomplete. Copy the whole code from the new device again.',
    );
  }
}

/** The six digits both screens show for this code. */
export function comparisonFor(code: LinkCode): string {
  return linkComparison(code.secret, code.signPublic, code.boxPublic);
}

/** Where the relay files this link's grant. */
export function linkIdFor(secret: Uint8Array): Uint8Array {
  return deriveLinkKeys(secret).linkId;
}

const Base64 = z.string().regex(/^[A-Za-z0-9_-]+$/);

/**
 * What the first device hands a new one: the identity's public keys, the new device's certificate and name, and
 * the person's records (profile and every room's keys and trust anchors; the model layer parses those).
 */
export const LinkGrant = z.object({
  v: z.literal(1),
  identity: z.object({ signPublic: Base64, boxPublic: Base64 }),
  device: z.object({
    createdAt: z.number().int().nonnegative(),
    certificate: Base64,
    name: z.string().min(1).max(MAX_NAME_CHARS),
  }),
  /** The name the first device goes by in the person's device list. */
  identityDeviceName: z.string().min(1).max(MAX_NAME_CHARS),
  profile: z.unknown(),
  rooms: z.array(z.unknown()),
});
export type LinkGrant = z.infer<typeof LinkGrant>;

/**
 * Seal a grant under the key derived from the link secret, with the link id and the new device's keys as
 * associated data: the relay cannot read it, and a grant meant for other keys does not open.
 */
export function sealGrant(code: LinkCode, grant: LinkGrant): Uint8Array {
  const { linkId, grantKey } = deriveLinkKeys(code.secret);
  const nonce = newNonce();
  const plaintext = new TextEncoder().encode(JSON.stringify(grant));
  const ad = concatBytes(linkId, code.signPublic, code.boxPublic);
  return concatBytes(nonce, encryptWithKey(grantKey, nonce, plaintext, ad));
}

/** Open a grant fetched from the relay and check the certificate in it names exactly this device's keys. */
export function openGrant(code: LinkCode, box: Uint8Array): { grant: LinkGrant; identity: PublicKeys } {
  const tampered = new LinkError('tampered', 'The approval could not be opened. Start linking again.');
  const { linkId, grantKey } = deriveLinkKeys(code.secret);
  if (box.length <= AEAD_NONCE_BYTES) throw tampered;
  let grant: LinkGrant;
  try {
    const plaintext = decryptWithKey(
      grantKey,
      box.subarray(0, AEAD_NONCE_BYTES),
      box.subarray(AEAD_NONCE_BYTES),
      concatBytes(linkId, code.signPublic, code.boxPublic),
    );
    grant = LinkGrant.parse(JSON.parse(new TextDecoder().decode(plaintext)));
  } catch {
    throw tampered;
  }
  const identity = {
    signPublic: fromBase64Url(grant.identity.signPublic),
    boxPublic: fromBase64Url(grant.identity.boxPublic),
  };
  const certified = verifyDeviceCertificate(
    identity.signPublic,
    code,
    grant.device.createdAt,
    fromBase64Url(grant.device.certificate),
  );
  if (!certified) throw tampered;
  return { grant, identity };
}
