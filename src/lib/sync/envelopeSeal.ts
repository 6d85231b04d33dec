import {
  decryptWithKey,
  encryptWithKey,
  newNonce,
  randomBytes,
  signDetached,
  verifyDetached,
} from '../crypto';
import { SIGN_DOMAIN, type SignDomain } from '../protocol/domains';
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeHeader,
  ENVELOPE_KIND,
  type DecodedEnvelope,
  type Envelope,
  type EnvelopeHeader,
  type EnvelopeKind,
} from '../protocol/envelope';
import { envelopeSignedBytes, withDomain } from '../protocol/signedPayloads';
import { ENVELOPE_ID_BYTES, MAX_ENVELOPE_BYTES, PROTOCOL_VERSION } from '../protocol/limits';

export interface SealInput {
  room: Uint8Array;
  author: { signPublic: Uint8Array; signSecret: Uint8Array };
  epoch: number;
  roomKey: Uint8Array;
  clock: number;
  update: Uint8Array;
  /** Keep this envelope id (sealing an unsent envelope again under a newer key); a random one otherwise. */
  id?: Uint8Array;
}

export class EnvelopeTooLargeError extends Error {
  readonly code = 'envelope_too_large';
  constructor() {
    super(`this change is larger than ${MAX_ENVELOPE_BYTES} bytes once sealed`);
    this.name = 'EnvelopeTooLargeError';
  }
}

/** What any sealed envelope (update or snapshot) is made from. */
export interface SealParts {
  kind: EnvelopeKind;
  domain: SignDomain;
  room: Uint8Array;
  author: { signPublic: Uint8Array; signSecret: Uint8Array };
  epoch: number;
  roomKey: Uint8Array;
  clock: number;
  plaintext: Uint8Array;
  id?: Uint8Array;
}

/**
 * Seal bytes as an envelope: XChaCha20-Poly1305 under the room key of `epoch` with the canonical header as
 * associated data, then an Ed25519 signature over the domain-prefixed header and ciphertext.
 */
export function sealEnvelope(parts: SealParts): { id: Uint8Array; bytes: Uint8Array } {
  const header: EnvelopeHeader = {
    version: PROTOCOL_VERSION,
    kind: parts.kind,
    room: parts.room,
    id: parts.id ?? randomBytes(ENVELOPE_ID_BYTES),
    author: parts.author.signPublic,
    epoch: parts.epoch,
    clock: parts.clock,
    nonce: newNonce(),
  };
  const headerBytes = encodeEnvelopeHeader(header);
  const ciphertext = encryptWithKey(parts.roomKey, header.nonce, parts.plaintext, headerBytes);
  const signature = signDetached(
    withDomain(parts.domain, envelopeSignedBytes(headerBytes, ciphertext)),
    parts.author.signSecret,
  );
  return { id: header.id, bytes: encodeEnvelope({ ...header, ciphertext, signature }) };
}

export type CheckFailure = 'bad_signature' | 'unknown_epoch' | 'decrypt_failed';

/**
 * Check a decoded envelope's signature under `domain` by its stated author, then decrypt it under the room key of
 * its epoch. Signature first: nothing unsigned is ever decrypted.
 */
export function verifyAndDecrypt(
  decoded: DecodedEnvelope,
  domain: SignDomain,
  keyForEpoch: (epoch: number) => Uint8Array | undefined,
): { ok: true; plaintext: Uint8Array } | { ok: false; reason: CheckFailure } {
  const { envelope, headerBytes } = decoded;
  const signed = withDomain(domain, envelopeSignedBytes(headerBytes, envelope.ciphertext));
  if (!verifyDetached(envelope.signature, signed, envelope.author))
    return { ok: false, reason: 'bad_signature' };
  const key = keyForEpoch(envelope.epoch);
  if (!key) return { ok: false, reason: 'unknown_epoch' };
  try {
    return { ok: true, plaintext: decryptWithKey(key, envelope.nonce, envelope.ciphertext, headerBytes) };
  } catch {
    return { ok: false, reason: 'decrypt_failed' };
  }
}

/** Seal a Yjs update (kind update, domain `hearth-update-v1`); throws `EnvelopeTooLargeError` past the limit. */
export function sealUpdate(input: SealInput): { id: Uint8Array; bytes: Uint8Array } {
  const sealed = sealEnvelope({
    ...input,
    kind: ENVELOPE_KIND.update,
    domain: SIGN_DOMAIN.update,
    plaintext: input.update,
  });
  if (sealed.bytes.length > MAX_ENVELOPE_BYTES) throw new EnvelopeTooLargeError();
  return sealed;
}

export type OpenFailure = 'malformed' | CheckFailure;

export type OpenResult =
  { ok: true; envelope: Envelope; update: Uint8Array } | { ok: false; reason: OpenFailure };

/**
 * Check and open a sealed envelope: well-formed, signed by its stated author, sealed under a room key we hold.
 * Whether the author may write to the room is the caller's question.
 */
export function openUpdate(
  bytes: Uint8Array,
  keyForEpoch: (epoch: number) => Uint8Array | undefined,
): OpenResult {
  let decoded;
  try {
    decoded = decodeEnvelope(bytes);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // A snapshot is never delivered as an update; one that is (a member's forgery) is refused as malformed.
  if (decoded.envelope.kind !== ENVELOPE_KIND.update) return { ok: false, reason: 'malformed' };
  const opened = verifyAndDecrypt(decoded, SIGN_DOMAIN.update, keyForEpoch);
  return opened.ok ? { ok: true, envelope: decoded.envelope, update: opened.plaintext } : opened;
}

/** Parse just the header fields the store indexes by (id, author, clock), without opening anything. */
export function peekEnvelope(bytes: Uint8Array): Envelope {
  return decodeEnvelope(bytes).envelope;
}
