import * as Y from 'yjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey, randomBytes, signDetached } from '$lib/crypto';
import { SIGN_DOMAIN } from '$lib/protocol/domains';
import { decodeEnvelope, encodeEnvelope, encodeEnvelopeHeader, ENVELOPE_KIND } from '$lib/protocol/envelope';
import { MAX_ENVELOPE_BYTES, ROOM_ID_BYTES, SIGNATURE_BYTES } from '$lib/protocol/limits';
import { envelopeSignedBytes, withDomain } from '$lib/protocol/signedPayloads';
import { openUpdate, sealUpdate } from '$lib/sync/envelopeSeal';
import { openSnapshot, sealSnapshot, type OpenedSnapshot, type SnapshotSealInput } from '$lib/sync/snapshot';
import { containsBytes, flipByte } from '../support/containsBytes';

const SECRET = 'The session notes from March, and what I could not say out loud';

/** A document with one message, as a room's state after some envelopes. */
function documentState(text = SECRET): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray('messages').push([{ id: 'm1', text }]);
  return Y.encodeStateAsUpdate(doc);
}

function setup(overrides: Partial<SnapshotSealInput> = {}) {
  const device = generateDeviceKeys();
  const input: SnapshotSealInput = {
    room: randomBytes(ROOM_ID_BYTES),
    author: device,
    epoch: 1,
    roomKey: newSymmetricKey(),
    upToSeq: 512,
    state: documentState(),
    ...overrides,
  };
  const keys = new Map([[input.epoch, input.roomKey]]);
  return { device, input, keys, keyForEpoch: (epoch: number) => keys.get(epoch) };
}

function failure(result: OpenedSnapshot): string {
  if (result.ok) throw new Error('an altered snapshot was opened');
  return result.reason;
}

describe('sealing and opening snapshots', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('opens what it sealed: the document state, the seq it covers, and its author', () => {
    const { input, keyForEpoch } = setup();
    const opened = openSnapshot(sealSnapshot(input), input.room, keyForEpoch);
    if (!opened.ok) throw new Error(`expected to open, got ${opened.reason}`);
    expect(opened.upToSeq).toBe(512);
    expect(opened.envelope.kind).toBe(ENVELOPE_KIND.snapshot);
    expect(opened.envelope.author).toEqual(input.author.signPublic);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, opened.state);
    expect(doc.getArray('messages').toJSON()).toEqual([{ id: 'm1', text: SECRET }]);
  });

  it('never carries the document in the clear', () => {
    const { input } = setup();
    expect(containsBytes(sealSnapshot(input), new TextEncoder().encode(SECRET.slice(0, 16)))).toBe(false);
  });

  it('seals documents far larger than an envelope may be', () => {
    const big = documentState('x'.repeat(4 * MAX_ENVELOPE_BYTES));
    const { input, keyForEpoch } = setup({ state: big });
    const bytes = sealSnapshot(input);
    expect(bytes.length).toBeGreaterThan(MAX_ENVELOPE_BYTES);
    const opened = openSnapshot(bytes, input.room, keyForEpoch);
    expect(opened.ok && opened.state).toEqual(big);
  });

  it('refuses a snapshot with a byte of its ciphertext, its covered seq or its signature altered', () => {
    const { input, keyForEpoch } = setup();
    const bytes = sealSnapshot(input);
    const clockAt = encodeEnvelopeHeader(decodeEnvelope(bytes, bytes.length).envelope).length - 24 - 2;
    expect(decodeEnvelope(flipByte(bytes, clockAt), bytes.length).envelope.clock).not.toBe(512);
    for (const at of [clockAt, bytes.length - SIGNATURE_BYTES - 1, bytes.length - 1]) {
      expect(failure(openSnapshot(flipByte(bytes, at), input.room, keyForEpoch)), `byte ${at}`).toBe(
        'bad_signature',
      );
    }
  });

  it('opens no snapshot with any single byte altered', () => {
    const { input, keyForEpoch } = setup({ state: documentState('short') });
    const bytes = sealSnapshot(input);
    for (let i = 0; i < bytes.length; i++) {
      const reason = failure(openSnapshot(flipByte(bytes, i, 0x04), input.room, keyForEpoch));
      expect(['malformed', 'not_a_snapshot', 'wrong_room', 'bad_signature'], `byte ${i}`).toContain(reason);
    }
  });

  it('refuses a snapshot signed under the update domain, so an update signature never passes as a snapshot', () => {
    const { device, input, keyForEpoch } = setup();
    const envelope = decodeEnvelope(sealSnapshot(input), Infinity).envelope;
    const headerBytes = encodeEnvelopeHeader(envelope);
    const signature = signDetached(
      withDomain(SIGN_DOMAIN.update, envelopeSignedBytes(headerBytes, envelope.ciphertext)),
      device.signSecret,
    );
    const forged = encodeEnvelope({ ...envelope, signature });
    expect(failure(openSnapshot(forged, input.room, keyForEpoch))).toBe('bad_signature');
  });

  it('never opens a snapshot as an update, nor an update as a snapshot', () => {
    const { device, input, keyForEpoch } = setup();
    expect(openUpdate(sealSnapshot(input), keyForEpoch)).toEqual({ ok: false, reason: 'malformed' });
    const update = sealUpdate({ ...input, author: device, clock: 3, update: documentState() });
    expect(failure(openSnapshot(update.bytes, input.room, keyForEpoch))).toBe('not_a_snapshot');
    // Relabelled as an update, the snapshot's signature no longer matches its header.
    const relabelled = sealSnapshot(input);
    relabelled[1] = ENVELOPE_KIND.update;
    expect(openUpdate(relabelled, keyForEpoch)).toMatchObject({ ok: false });
  });

  it('refuses a snapshot of another room, one under an epoch we hold no key for, and one under the wrong key', () => {
    const { input, keyForEpoch } = setup();
    const bytes = sealSnapshot(input);
    expect(failure(openSnapshot(bytes, randomBytes(ROOM_ID_BYTES), keyForEpoch))).toBe('wrong_room');
    expect(failure(openSnapshot(bytes, input.room, () => undefined))).toBe('unknown_epoch');
    expect(failure(openSnapshot(bytes, input.room, () => newSymmetricKey()))).toBe('decrypt_failed');
  });
});
