import { beforeAll, describe, expect, it } from 'vitest';
import {
  cryptoReady,
  DecryptError,
  generateDeviceKeys,
  newSymmetricKey,
  openSealed,
  sealToDevice,
} from '$lib/crypto';
import { flipByte } from '../support/containsBytes';

describe('sealed boxes (room keys sent to a device)', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('opens for the device it was sealed to', () => {
    const device = generateDeviceKeys();
    const roomKey = newSymmetricKey();
    const sealed = sealToDevice(device.boxPublic, roomKey);
    expect(openSealed(device.boxPublic, device.boxSecret, sealed)).toEqual(roomKey);
  });

  it('seals the same key differently each time (an observer cannot tell two boxes hold one key)', () => {
    const device = generateDeviceKeys();
    const roomKey = newSymmetricKey();
    expect(sealToDevice(device.boxPublic, roomKey)).not.toEqual(sealToDevice(device.boxPublic, roomKey));
  });

  it('does not open for another device', () => {
    const recipient = generateDeviceKeys();
    const other = generateDeviceKeys();
    const sealed = sealToDevice(recipient.boxPublic, newSymmetricKey());
    expect(() => openSealed(other.boxPublic, other.boxSecret, sealed)).toThrow(DecryptError);
  });

  it('does not open once altered or cut short', () => {
    const device = generateDeviceKeys();
    const sealed = sealToDevice(device.boxPublic, newSymmetricKey());
    expect(() => openSealed(device.boxPublic, device.boxSecret, flipByte(sealed, sealed.length - 1))).toThrow(
      DecryptError,
    );
    expect(() => openSealed(device.boxPublic, device.boxSecret, flipByte(sealed, 0))).toThrow(DecryptError);
    expect(() => openSealed(device.boxPublic, device.boxSecret, sealed.subarray(0, 10))).toThrow(
      DecryptError,
    );
  });
});
