import { ProtocolError } from './errors';
import {
  ENVELOPE_ID_BYTES,
  MAX_ENVELOPE_BYTES,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
  SIGNATURE_BYTES,
} from './limits';
import { ByteReader } from './reader';
import { ByteWriter } from './writer';

/**
 * What an envelope's ciphertext holds once opened. Only clients know; the relay stores the number blind. A
 * snapshot (the whole document up to a seq, travelling as a blob, never appended) has the same layout as an
 * update, with its own signature domain so one can never pass as the other.
 */
export const ENVELOPE_KIND = { update: 1, snapshot: 2 } as const;
export type EnvelopeKind = (typeof ENVELOPE_KIND)[keyof typeof ENVELOPE_KIND];

/** The authenticated, unencrypted part of an envelope: the AEAD's associated data and half of what is signed. */
export interface EnvelopeHeader {
  version: number;
  kind: EnvelopeKind;
  room: Uint8Array;
  id: Uint8Array;
  author: Uint8Array;
  epoch: number;
  clock: number;
  nonce: Uint8Array;
}

export interface Envelope extends EnvelopeHeader {
  ciphertext: Uint8Array;
  signature: Uint8Array;
}

/** Canonical header bytes: the one encoding used as associated data and inside the signature. */
export function encodeEnvelopeHeader(header: EnvelopeHeader): Uint8Array {
  return new ByteWriter()
    .u8(header.version)
    .u8(header.kind)
    .fixed(header.room)
    .fixed(header.id)
    .fixed(header.author)
    .varUint(header.epoch)
    .varUint(header.clock)
    .fixed(header.nonce)
    .finish();
}

/** Full envelope bytes: header, then ciphertext (length-prefixed), then the 64-byte signature. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return new ByteWriter()
    .fixed(encodeEnvelopeHeader(envelope))
    .varBytes(envelope.ciphertext)
    .fixed(envelope.signature)
    .finish();
}

/** Parsed envelope plus the exact header bytes it arrived with (what the signature and AEAD cover). */
export interface DecodedEnvelope {
  envelope: Envelope;
  headerBytes: Uint8Array;
}

/**
 * Decode untrusted envelope bytes; throws `ProtocolError` for anything but a well-formed v1 envelope of a known
 * kind. `maxBytes` is MAX_ENVELOPE_BYTES for what is appended; a sealed snapshot may be as large as a blob.
 */
export function decodeEnvelope(bytes: Uint8Array, maxBytes = MAX_ENVELOPE_BYTES): DecodedEnvelope {
  if (bytes.length > maxBytes) {
    throw new ProtocolError('envelope_too_large', `envelope is over ${maxBytes} bytes`);
  }
  const reader = new ByteReader(bytes);
  const version = reader.u8();
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('unknown_version', `envelope version ${version} is not supported`);
  }
  const kind = reader.u8();
  if (kind !== ENVELOPE_KIND.update && kind !== ENVELOPE_KIND.snapshot)
    throw new ProtocolError('malformed_frame', `unknown envelope kind ${kind}`);
  const room = reader.fixed(ROOM_ID_BYTES);
  const id = reader.fixed(ENVELOPE_ID_BYTES);
  const author = reader.fixed(PUBLIC_KEY_BYTES);
  const epoch = reader.varUint();
  const clock = reader.varUint();
  if (clock < 1) throw new ProtocolError('malformed_frame', 'envelope clock starts at 1');
  const nonce = reader.fixed(NONCE_BYTES);
  const headerBytes = bytes.subarray(0, reader.offset);
  const ciphertext = reader.varBytes(maxBytes);
  const signature = reader.fixed(SIGNATURE_BYTES);
  reader.end();
  return {
    envelope: { version, kind, room, id, author, epoch, clock, nonce, ciphertext, signature },
    headerBytes,
  };
}
