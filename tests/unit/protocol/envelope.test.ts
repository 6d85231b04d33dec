import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeHeader,
  ENVELOPE_KIND,
  type Envelope,
} from '$lib/protocol/envelope';
import { ProtocolError, type ErrorCode } from '$lib/protocol/errors';
import {
  ENVELOPE_ID_BYTES,
  MAX_ENVELOPE_BYTES,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
  SIGNATURE_BYTES,
} from '$lib/protocol/limits';
import { randomBytesFrom, seededRandom } from '../support/prng';

const random = seededRandom(0xe17e);
const bytes = (length: number) => randomBytesFrom(random, length);

function sampleEnvelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    version: PROTOCOL_VERSION,
    kind: ENVELOPE_KIND.update,
    room: bytes(ROOM_ID_BYTES),
    id: bytes(ENVELOPE_ID_BYTES),
    author: bytes(PUBLIC_KEY_BYTES),
    epoch: 3,
    clock: 1000,
    nonce: bytes(NONCE_BYTES),
    ciphertext: bytes(180),
    signature: bytes(SIGNATURE_BYTES),
    ...overrides,
  };
}

function decodeErrorCode(input: Uint8Array): ErrorCode {
  try {
    decodeEnvelope(input);
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw new Error(`decodeEnvelope threw a non-ProtocolError: ${String(error)}`, { cause: error });
  }
  throw new Error('decodeEnvelope accepted bytes it should have refused');
}

describe('envelope encoding', () => {
  it('round-trips every field', () => {
    const envelope = sampleEnvelope();
    expect(decodeEnvelope(encodeEnvelope(envelope)).envelope).toEqual(envelope);
  });

  it('returns as header bytes exactly the canonical header encoding (what the AEAD and signature cover)', () => {
    const envelope = sampleEnvelope();
    const { headerBytes } = decodeEnvelope(encodeEnvelope(envelope));
    expect(headerBytes).toEqual(encodeEnvelopeHeader(envelope));
  });

  it('round-trips an empty ciphertext and a zero epoch', () => {
    const envelope = sampleEnvelope({ ciphertext: new Uint8Array(), epoch: 0, clock: 1 });
    expect(decodeEnvelope(encodeEnvelope(envelope)).envelope).toEqual(envelope);
  });

  it('places the signature last and the header first', () => {
    const envelope = sampleEnvelope();
    const encoded = encodeEnvelope(envelope);
    expect(encoded.subarray(0, encodeEnvelopeHeader(envelope).length)).toEqual(
      encodeEnvelopeHeader(envelope),
    );
    expect(encoded.subarray(encoded.length - SIGNATURE_BYTES)).toEqual(envelope.signature);
  });
});

describe('envelope decoding refuses what it cannot trust', () => {
  it('refuses every truncation with a ProtocolError', () => {
    const encoded = encodeEnvelope(sampleEnvelope());
    for (let length = 0; length < encoded.length; length++) {
      expect(decodeErrorCode(encoded.subarray(0, length)), `prefix of ${length} bytes`).toBe(
        'malformed_frame',
      );
    }
  });

  it('refuses trailing bytes', () => {
    const encoded = encodeEnvelope(sampleEnvelope());
    expect(decodeErrorCode(new Uint8Array([...encoded, 0]))).toBe('malformed_frame');
  });

  it('refuses a version it does not know', () => {
    const encoded = encodeEnvelope(sampleEnvelope());
    encoded[0] = PROTOCOL_VERSION + 1;
    expect(decodeErrorCode(encoded)).toBe('unknown_version');
  });

  it('refuses a kind it does not know', () => {
    const encoded = encodeEnvelope(sampleEnvelope());
    encoded[1] = 0xee;
    expect(decodeErrorCode(encoded)).toBe('malformed_frame');
  });

  it('refuses a clock of zero (clocks start at 1)', () => {
    expect(decodeErrorCode(encodeEnvelope(sampleEnvelope({ clock: 0 })))).toBe('malformed_frame');
  });

  it('refuses an envelope over MAX_ENVELOPE_BYTES', () => {
    const header = encodeEnvelopeHeader(sampleEnvelope()).length;
    const fits = sampleEnvelope({
      ciphertext: new Uint8Array(MAX_ENVELOPE_BYTES - header - 3 - SIGNATURE_BYTES),
    });
    expect(encodeEnvelope(fits).length).toBe(MAX_ENVELOPE_BYTES);
    expect(decodeEnvelope(encodeEnvelope(fits)).envelope).toEqual(fits);
    const over = sampleEnvelope({ ciphertext: new Uint8Array(fits.ciphertext.length + 1) });
    expect(decodeErrorCode(encodeEnvelope(over))).toBe('envelope_too_large');
  });
});
