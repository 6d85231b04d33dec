import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey, randomBytes, type DeviceKeys } from '$lib/crypto';
import { decodeKeyBundle } from '$lib/protocol/keyBundle';
import { makeKeyBundle, openKeyBundle, peekKeyBundle } from '$lib/sync/keyBundles';

let manager: DeviceKeys;
let member: DeviceKeys;
let removed: DeviceKeys;

beforeAll(async () => {
  await cryptoReady();
  [manager, member, removed] = [generateDeviceKeys(), generateDeviceKeys(), generateDeviceKeys()];
});

const room = () => randomBytes(16);
const recipient = (device: DeviceKeys) => ({ identity: device.signPublic, boxPublic: device.boxPublic });

describe('key bundles', () => {
  it('give each recipient the new key and every earlier one, and nobody else anything', () => {
    const id = room();
    const earlier = new Map([
      [0, newSymmetricKey()],
      [1, newSymmetricKey()],
    ]);
    const key = newSymmetricKey();
    const bundle = makeKeyBundle({
      room: id,
      epoch: 2,
      signer: manager,
      key,
      earlier,
      recipients: [recipient(manager), recipient(member)],
    });
    const opened = openKeyBundle(bundle, id, member);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.epoch).toBe(2);
    expect([...opened.keys.keys()].sort()).toEqual([0, 1, 2]);
    expect(opened.keys.get(2)).toEqual(key);
    expect(opened.keys.get(0)).toEqual(earlier.get(0));
    expect(openKeyBundle(bundle, id, removed)).toEqual({ ok: false, reason: 'not_for_me' });
    expect(peekKeyBundle(bundle)?.epoch).toBe(2);
  });

  it('refuses a bundle for another room, one altered on the way, and one whose share does not open', () => {
    const id = room();
    const bundle = makeKeyBundle({
      room: id,
      epoch: 1,
      signer: manager,
      key: newSymmetricKey(),
      earlier: new Map(),
      recipients: [recipient(member)],
    });
    expect(openKeyBundle(bundle, room(), member)).toEqual({ ok: false, reason: 'wrong_room' });
    const altered = bundle.slice();
    altered[altered.length - 70] ^= 1;
    expect(openKeyBundle(altered, id, member)).toEqual({ ok: false, reason: 'bad_signature' });
    // A share sealed to the member's box key, opened with another device's secret, does not open.
    expect(openKeyBundle(bundle, id, { boxPublic: member.boxPublic, boxSecret: removed.boxSecret })).toEqual({
      ok: false,
      reason: 'decrypt_failed',
    });
    expect(openKeyBundle(new Uint8Array([1, 2, 3]), id, member)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('decodes to what the relay checks: room, epoch, signer and one share per recipient', () => {
    const id = room();
    const bundle = makeKeyBundle({
      room: id,
      epoch: 7,
      signer: member,
      key: newSymmetricKey(),
      earlier: new Map(),
      recipients: [recipient(manager), recipient(member)],
    });
    const { bundle: decoded } = decodeKeyBundle(bundle);
    expect(decoded.epoch).toBe(7);
    expect(decoded.signer).toEqual(member.signPublic);
    expect(decoded.shares.map((s) => s.identity)).toEqual([manager.signPublic, member.signPublic]);
    expect(() => decodeKeyBundle(bundle.subarray(0, bundle.length - 1))).toThrow(
      expect.objectContaining({ code: 'key_bundle_invalid' }),
    );
  });
});
