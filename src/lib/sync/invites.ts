import { z } from 'zod';
import {
  decryptWithKey,
  deriveInviteKeys,
  encryptWithKey,
  fromBase64Url,
  INVITE_SECRET_BYTES,
  newNonce,
  newSymmetricKey,
  randomBytes,
  signDetached,
  toBase64Url,
  verifyDetached,
  AEAD_NONCE_BYTES,
} from '../crypto';
import { SIGN_DOMAIN } from '../protocol/domains';
import { concatBytes } from '../protocol/hex';
import { MAX_NAME_CHARS, PUBLIC_KEY_BYTES, ROOM_ID_BYTES, SIGNATURE_BYTES } from '../protocol/limits';
import { claimSignedBytes, withDomain } from '../protocol/signedPayloads';
import type { Keyring, PublicKeys } from './keyring';

/** What an invite carries, sealed so only the holder of the link can read it. */
export const InvitePayload = z.object({
  v: z.literal(1),
  room: z.string().regex(/^[0-9a-f]{32}$/),
  epoch: z.number().int().nonnegative(),
  roomKey: z.string().min(40),
  inviter: z.object({
    signPublic: z.string(),
    boxPublic: z.string(),
    name: z.string().min(1).max(MAX_NAME_CHARS),
    replyPromise: z.string().max(200),
    /** Invites from before clients could invite carry none: they were all from therapists. */
    role: z.enum(['therapist', 'client']).default('therapist'),
  }),
  expiresAt: z.number().int().positive(),
  /**
   * For someone rejoining from a new device without their old keys: the key they had. Their new key is then shown
   * to everyone as a key change, and any verified mark on the old one no longer counts.
   */
  replaces: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /**
   * What the room is. A practice invite asks a professional to join the inviter's practice (the invitee needs a
   * therapist's account); invites from before practices are all to conversations.
   */
  kind: z.enum(['conversation', 'practice']).default('conversation'),
  /** The practice's name, for a practice invite: shown before the practice's own document arrives. */
  practiceName: z.string().min(1).max(MAX_NAME_CHARS).optional(),
});
export type InvitePayload = z.infer<typeof InvitePayload>;

/**
 * Why an invite link cannot be used, in codes the UI words for people. `professionals_only`: a practice invite
 * opened on a client's account.
 */
export type InviteProblem = 'malformed' | 'tampered' | 'expired' | 'professionals_only';

export class InviteError extends Error {
  constructor(
    readonly code: InviteProblem,
    message: string,
  ) {
    super(message);
    this.name = 'InviteError';
  }
}

/**
 * The parts of an invite link's fragment: the one-time secret, the inviter's signing key, and what the invite is
 * for. `kind` only lets the invite page offer the right account before the sealed invite can be read (that needs an
 * account); the signed payload's own `kind` is what counts once it is opened.
 */
export interface InviteLink {
  secret: Uint8Array;
  inviter: Uint8Array;
  kind: 'conversation' | 'practice';
}

const LINK_PREFIX = 'v1.';
/** Appended to a practice invite's fragment. */
const PRACTICE_SUFFIX = 'practice';

/** The fragment (after '#') of an invite link. The relay never sees it: browsers do not send fragments. */
export function encodeInviteFragment(link: InviteLink): string {
  const base = `${LINK_PREFIX}${toBase64Url(link.secret)}.${toBase64Url(link.inviter)}`;
  return link.kind === 'practice' ? `${base}.${PRACTICE_SUFFIX}` : base;
}

/**
 * What a fragment says the invite is for, from its shape alone (no keys are decoded, so it works before the crypto
 * library has loaded). Only a hint for the invite page: the opened invite's signed `kind` is what counts.
 */
export function fragmentKind(fragment: string): InviteLink['kind'] {
  const parts = fragment.replace(/^#/, '').split('.');
  return parts.length === 4 && `${parts[0]}.` === LINK_PREFIX && parts[3] === PRACTICE_SUFFIX
    ? 'practice'
    : 'conversation';
}

/** Parse a fragment; throws `InviteError('malformed')` for anything that is not a whole v1 invite. */
export function decodeInviteFragment(fragment: string): InviteLink {
  const text = fragment.replace(/^#/, '');
  const parts = text.startsWith(LINK_PREFIX) ? text.slice(LINK_PREFIX.length).split('.') : [];
  try {
    if (parts.length !== 2 && !(parts.length === 3 && parts[2] === PRACTICE_SUFFIX))
      throw new Error('wrong shape');
    const secret = fromBase64Url(parts[0]);
    const inviter = fromBase64Url(parts[1]);
    if (secret.length !== INVITE_SECRET_BYTES || inviter.length !== PUBLIC_KEY_BYTES)
      throw new Error('wrong size');
    return { secret, inviter, kind: parts.length === 3 ? 'practice' : 'conversation' };
  } catch {
    throw new InviteError('malformed', 'This invite link is incomplete or damaged.');
  }
}

/** Fresh material for a new room: its id and its first (epoch 0) key. */
export function newRoom(): { room: Uint8Array; roomKey: Uint8Array } {
  return { room: randomBytes(ROOM_ID_BYTES), roomKey: newSymmetricKey() };
}

/** A fresh one-time invite secret. */
export function newInviteSecret(): Uint8Array {
  return randomBytes(INVITE_SECRET_BYTES);
}

/** What the relay files an invite under, and the key it checks claims against. */
export function inviteAddress(secret: Uint8Array): { inviteId: Uint8Array; claimPublic: Uint8Array } {
  const { inviteId, claimPublic } = deriveInviteKeys(secret);
  return { inviteId, claimPublic };
}

/**
 * Seal an invite: encrypt the payload under the key derived from the secret (the invite id as associated
 * data), and sign nonce and ciphertext with the inviter's device key. Layout: nonce(24) | signature(64) | ct.
 */
export function sealInvite(secret: Uint8Array, payload: InvitePayload, inviter: Keyring): Uint8Array {
  const { inviteId, boxKey } = deriveInviteKeys(secret);
  const nonce = newNonce();
  const ciphertext = encryptWithKey(
    boxKey,
    nonce,
    new TextEncoder().encode(JSON.stringify(payload)),
    inviteId,
  );
  const signature = signDetached(
    withDomain(SIGN_DOMAIN.invite, concatBytes(inviteId, nonce, ciphertext)),
    inviter.signSecret,
  );
  return concatBytes(nonce, signature, ciphertext);
}

/**
 * Open an invite fetched from the relay: the signature must be the inviter's from the link (so the relay cannot
 * substitute keys), the contents must decrypt, and the invite must not have expired.
 */
export function openInvite(link: InviteLink, box: Uint8Array, now = Date.now()): InvitePayload {
  const { inviteId, boxKey } = deriveInviteKeys(link.secret);
  const tampered = new InviteError('tampered', 'This invite link has been changed or damaged.');
  if (box.length < AEAD_NONCE_BYTES + SIGNATURE_BYTES + 1) throw tampered;
  const nonce = box.subarray(0, AEAD_NONCE_BYTES);
  const signature = box.subarray(AEAD_NONCE_BYTES, AEAD_NONCE_BYTES + SIGNATURE_BYTES);
  const ciphertext = box.subarray(AEAD_NONCE_BYTES + SIGNATURE_BYTES);
  const signed = withDomain(SIGN_DOMAIN.invite, concatBytes(inviteId, nonce, ciphertext));
  if (!verifyDetached(signature, signed, link.inviter)) throw tampered;
  let payload: InvitePayload;
  try {
    payload = InvitePayload.parse(
      JSON.parse(new TextDecoder().decode(decryptWithKey(boxKey, nonce, ciphertext, inviteId))),
    );
  } catch {
    throw tampered;
  }
  if (payload.inviter.signPublic !== toBase64Url(link.inviter)) throw tampered;
  if (payload.expiresAt <= now) throw new InviteError('expired', 'This invite has expired.');
  return payload;
}

/**
 * The claim signature: proof, for the relay and the inviter, that this person held the link. It names the
 * identity's keys (a linked device claims for its identity, which becomes the member).
 */
export function signClaim(
  secret: Uint8Array,
  device: PublicKeys,
): { inviteId: Uint8Array; signature: Uint8Array } {
  const { inviteId, claimSecret } = deriveInviteKeys(secret);
  const signature = signDetached(
    withDomain(SIGN_DOMAIN.claim, claimSignedBytes(inviteId, device.signPublic, device.boxPublic)),
    claimSecret,
  );
  return { inviteId, signature };
}

export { toBase64Url, fromBase64Url };
