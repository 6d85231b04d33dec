import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey, randomBytes, signDetached } from '$lib/crypto';
import { SIGN_DOMAIN } from '$lib/protocol/domains';
import { encodeEnvelope, encodeEnvelopeHeader } from '$lib/protocol/envelope';
import {
  ENVELOPE_ID_BYTES,
  MAX_ENVELOPE_BYTES,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
  SIGNATURE_BYTES,
} from '$lib/protocol/limits';
import { envelopeSignedBytes, withDomain } from '$lib/protocol/signedPayloads';
import {
  EnvelopeTooLargeError,
  openUpdate,
  peekEnvelope,
  sealUpdate,
  type OpenResult,
  type SealInput,
} from '$lib/sync/envelopeSeal';
import { containsBytes, flipByte } from '../support/containsBytes';

// Header layout (protocol/envelope.ts): version, kind, room, id, author, then varuint epoch and clock.
const EPOCH_AT = 2 + ROOM_ID_BYTES + ENVELOPE_ID_BYTES + PUBLIC_KEY_BYTES;
const CLOCK_AT = EPOCH_AT + 1; // epoch < 128 is one byte

const plaintext = new TextEncoder().encode('Yjs update: "I could not sleep again last night."');

function setup(overrides: Partial<SealInput> = {}) {
  const device = generateDeviceKeys();
  const roomKey = newSymmetricKey();
  const input: SealInput = {
    room: randomBytes(ROOM_ID_BYTES),
    author: device,
    epoch: 2,
    roomKey,
    clock: 5,
    update: plaintext,
    ...overrides,
  };
  const keys = new Map([[input.epoch, input.roomKey]]);
  return { device, input, keys, keyForEpoch: (epoch: number) => keys.get(epoch) };
}

function failure(result: OpenResult): string {
  if (result.ok) throw new Error('an altered envelope was opened');
  return result.reason;
}

describe('sealing and opening updates', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('opens what it sealed, with the header it was sealed under', () => {
    const { input, keyForEpoch } = setup();
    const sealed = sealUpdate(input);
    const opened = openUpdate(sealed.bytes, keyForEpoch);
    if (!opened.ok) throw new Error(`expected to open, got ${opened.reason}`);
    expect(opened.update).toEqual(plaintext);
    expect(opened.envelope.id).toEqual(sealed.id);
    expect(opened.envelope.room).toEqual(input.room);
    expect(opened.envelope.author).toEqual(input.author.signPublic);
    expect(opened.envelope.epoch).toBe(input.epoch);
    expect(opened.envelope.clock).toBe(input.clock);
  });

  it('never puts the update on the wire in the clear', () => {
    const { input } = setup();
    const { bytes } = sealUpdate(input);
    expect(containsBytes(bytes, plaintext)).toBe(false);
    expect(containsBytes(bytes, plaintext.subarray(0, 12))).toBe(false);
  });

  it('gives every envelope a fresh id and nonce', () => {
    const { input } = setup();
    const a = peekEnvelope(sealUpdate(input).bytes);
    const b = peekEnvelope(sealUpdate(input).bytes);
    expect(a.id).not.toEqual(b.id);
    expect(a.nonce).not.toEqual(b.nonce);
  });

  it('lets the store read id, author and clock without any key', () => {
    const { input } = setup();
    const sealed = sealUpdate(input);
    const header = peekEnvelope(sealed.bytes);
    expect(header.id).toEqual(sealed.id);
    expect(header.author).toEqual(input.author.signPublic);
    expect(header.clock).toBe(input.clock);
  });

  it('refuses a ciphertext with a byte altered', () => {
    const { input, keyForEpoch } = setup();
    const { bytes } = sealUpdate(input);
    const lastCiphertextByte = bytes.length - SIGNATURE_BYTES - 1;
    // The signature covers the ciphertext and is checked before decrypting, so this is a bad signature.
    expect(failure(openUpdate(flipByte(bytes, lastCiphertextByte), keyForEpoch))).toBe('bad_signature');
  });

  it('refuses a tampered header: a changed clock', () => {
    const { input, keyForEpoch } = setup();
    const { bytes } = sealUpdate(input);
    expect(peekEnvelope(flipByte(bytes, CLOCK_AT, 0x02)).clock).toBe(input.clock ^ 0x02);
    expect(failure(openUpdate(flipByte(bytes, CLOCK_AT, 0x02), keyForEpoch))).toBe('bad_signature');
  });

  it('refuses a tampered header: a changed epoch, even when we hold a key for the new epoch', () => {
    const { input, keys, keyForEpoch } = setup();
    keys.set(input.epoch ^ 0x01, input.roomKey);
    const { bytes } = sealUpdate(input);
    expect(peekEnvelope(flipByte(bytes, EPOCH_AT)).epoch).toBe(input.epoch ^ 0x01);
    expect(failure(openUpdate(flipByte(bytes, EPOCH_AT), keyForEpoch))).toBe('bad_signature');
  });

  it('refuses a tampered header: another room', () => {
    const { input, keyForEpoch } = setup();
    const { bytes } = sealUpdate(input);
    expect(failure(openUpdate(flipByte(bytes, 2), keyForEpoch))).toBe('bad_signature');
  });

  it('refuses a signature with a byte altered', () => {
    const { input, keyForEpoch } = setup();
    const { bytes } = sealUpdate(input);
    expect(failure(openUpdate(flipByte(bytes, bytes.length - 1), keyForEpoch))).toBe('bad_signature');
    expect(failure(openUpdate(flipByte(bytes, bytes.length - SIGNATURE_BYTES), keyForEpoch))).toBe(
      'bad_signature',
    );
  });

  it('opens no envelope with any single byte altered', () => {
    const { input, keyForEpoch } = setup();
    const { bytes } = sealUpdate(input);
    for (let i = 0; i < bytes.length; i++) {
      const reason = failure(openUpdate(flipByte(bytes, i, 0x04), keyForEpoch));
      expect(['malformed', 'bad_signature'], `byte ${i}`).toContain(reason);
    }
  });

  it('refuses an envelope whose header was changed and re-signed by its author (the header is the AD)', () => {
    const { device, input, keyForEpoch } = setup();
    const envelope = peekEnvelope(sealUpdate(input).bytes);
    const forged = { ...envelope, clock: envelope.clock + 1 };
    const headerBytes = encodeEnvelopeHeader(forged);
    const signature = signDetached(
      withDomain(SIGN_DOMAIN.update, envelopeSignedBytes(headerBytes, forged.ciphertext)),
      device.signSecret,
    );
    expect(failure(openUpdate(encodeEnvelope({ ...forged, signature }), keyForEpoch))).toBe('decrypt_failed');
  });

  it('refuses a signature made for another kind of message', () => {
    const { device, input, keyForEpoch } = setup();
    const envelope = peekEnvelope(sealUpdate(input).bytes);
    const headerBytes = encodeEnvelopeHeader(envelope);
    const signature = signDetached(
      withDomain(SIGN_DOMAIN.invite, envelopeSignedBytes(headerBytes, envelope.ciphertext)),
      device.signSecret,
    );
    expect(failure(openUpdate(encodeEnvelope({ ...envelope, signature }), keyForEpoch))).toBe(
      'bad_signature',
    );
  });

  it('refuses an envelope sealed under a room key we do not hold for its epoch', () => {
    const { input } = setup();
    const { bytes } = sealUpdate(input);
    const otherKey = newSymmetricKey();
    expect(failure(openUpdate(bytes, () => otherKey))).toBe('decrypt_failed');
  });

  it('reports an epoch we have no key for', () => {
    const { input } = setup({ epoch: 7 });
    const asked: number[] = [];
    const result = openUpdate(sealUpdate(input).bytes, (epoch) => {
      asked.push(epoch);
      return undefined;
    });
    expect(failure(result)).toBe('unknown_epoch');
    expect(asked).toEqual([7]);
  });

  it('reports bytes that are not an envelope as malformed', () => {
    const { keyForEpoch } = setup();
    expect(failure(openUpdate(new Uint8Array(), keyForEpoch))).toBe('malformed');
    expect(failure(openUpdate(randomBytes(200), keyForEpoch))).toBe('malformed');
  });

  it('seals the largest update that fits in MAX_ENVELOPE_BYTES and refuses one byte more', () => {
    const { input, keyForEpoch } = setup();
    // Overhead of an envelope around a 1-byte update, less that update and its 1-byte length prefix; a
    // ciphertext near the limit takes a 3-byte length prefix.
    const overhead = sealUpdate({ ...input, update: new Uint8Array(1) }).bytes.length - 1 - 1;
    const largest = MAX_ENVELOPE_BYTES - overhead - 3;
    const fits = sealUpdate({ ...input, update: new Uint8Array(largest) });
    expect(fits.bytes.length).toBe(MAX_ENVELOPE_BYTES);
    expect(openUpdate(fits.bytes, keyForEpoch).ok).toBe(true);
    expect(() => sealUpdate({ ...input, update: new Uint8Array(largest + 1) })).toThrow(
      EnvelopeTooLargeError,
    );
  });

  it('names the limit when a change is too large to seal', () => {
    const { input } = setup();
    let caught: unknown;
    try {
      sealUpdate({ ...input, update: new Uint8Array(MAX_ENVELOPE_BYTES) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvelopeTooLargeError);
    expect((caught as EnvelopeTooLargeError).code).toBe('envelope_too_large');
    expect((caught as Error).message).toContain(String(MAX_ENVELOPE_BYTES));
  });
});
