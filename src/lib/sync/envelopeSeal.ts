import {
  decryptWithKey,
  encryptWithKey,
  newNonce,
  randomBytes,
  signDetached,
  verifyDetached,
} from '../crypto';
import { SIGN_DOMAIN } from '../protocol/domains';
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeHeader,
  ENVELOPE_KIND,
  type Envelope,
  type EnvelopeHeader,
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
}

export class EnvelopeTooLargeError extends Error {
  readonly code = 'envelope_too_large';
  constructor() {
    super(`this change is larger than ${MAX_ENVELOPE_BYTES} bytes once sealed`);
    this.name = 'EnvelopeTooLargeError';
  }
}

/**
 * Seal a Yjs update: XChaCha20-Poly1305 under the room key of `epoch` with the canonical header as associated
 * data, then an Ed25519 signature over the domain-prefixed header and ciphertext.
 */
export function sealUpdate(input: SealInput): { id: Uint8Array; bytes: Uint8Array } {
  const header: EnvelopeHeader = {
    version: PROTOCOL_VERSION,
    kind: ENVELOPE_KIND.update,
    room: input.room,
    id: randomBytes(ENVELOPE_ID_BYTES),
    author: input.author.signPublic,
    epoch: input.epoch,
    clock: input.clock,
    nonce: newNonce(),
  };
  const headerBytes = encodeEnvelopeHeader(header);
  const ciphertext = encryptWithKey(input.roomKey, header.nonce, input.update, headerBytes);
  const signature = signDetached(
    withDomain(SIGN_DOMAIN.update, envelopeSignedBytes(headerBytes, ciphertext)),
    input.author.signSecret,
  );
  const bytes = encodeEnvelope({ ...header, ciphertext, signature });
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new EnvelopeTooLargeError();
  return { id: header.id, bytes };
}

export type OpenFailure = 'malformed' | 'bad_signature' | 'unknown_epoch' | 'decrypt_failed';

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
  const { envelope, headerBytes } = decoded;
  // A snapshot is never delivered as an update; one that is (a member's forgery) is refused as malformed.
  if (envelope.kind !== ENVELOPE_KIND.update) return { ok: false, reason: 'malformed' };
  const signed = withDomain(SIGN_DOMAIN.update, envelopeSignedBytes(headerBytes, envelope.ciphertext));
  if (!verifyDetached(envelope.signature, signed, envelope.author))
    return { ok: false, reason: 'bad_signature' };
  const key = keyForEpoch(envelope.epoch);
  if (!key) return { ok: false, reason: 'unknown_epoch' };
  try {
    return {
      ok: true,
      envelope,
      update: decryptWithKey(key, envelope.nonce, envelope.ciphertext, headerBytes),
    };
  } catch {
    return { ok: false, reason: 'decrypt_failed' };
  }
}

/** Parse just the header fields the store indexes by (id, author, clock), without opening anything. */
export function peekEnvelope(bytes: Uint8Array): Envelope {
  return decodeEnvelope(bytes).envelope;
}
