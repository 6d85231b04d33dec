import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, signDetached, type DeviceKeys } from '$lib/crypto';
import { SIGN_DOMAIN } from '$lib/protocol/domains';
import type { RoomDevice } from '$lib/protocol/frames';
import { toHex } from '$lib/protocol/hex';
import { revokeSignedBytes, u64BigEndian, withDomain } from '$lib/protocol/signedPayloads';
import {
  signDeviceCertificate,
  signRevocation,
  verifyDeviceCertificate,
  verifyRevocation,
} from '$lib/sync/deviceCertificate';
import {
  comparisonFor,
  decodeLinkCode,
  encodeLinkCode,
  LinkError,
  linkIdFor,
  newLinkSecret,
  openGrant,
  sealGrant,
  type LinkCode,
  type LinkGrant,
} from '$lib/sync/deviceLink';
import { authorStanding, verifiedDevices } from '$lib/sync/deviceTrust';
import { toBase64Url } from '$lib/sync/invites';

const CREATED_AT = 1_700_000_000_000;

function certified(identity: DeviceKeys, device: DeviceKeys, createdAt = CREATED_AT): RoomDevice {
  return {
    identity: identity.signPublic,
    signPublic: device.signPublic,
    boxPublic: device.boxPublic,
    createdAt,
    certificate: signDeviceCertificate(identity.signSecret, identity.signPublic, device, createdAt),
    revokedAt: 0,
    revocation: new Uint8Array(),
    lastSeq: 0,
  };
}

function revoked(entry: RoomDevice, signer: DeviceKeys, at: number, lastSeq: number): RoomDevice {
  return {
    ...entry,
    revokedAt: at,
    revocation: signRevocation(signer.signSecret, entry.signPublic, at),
    lastSeq,
  };
}

describe('device certificates and revocations', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('signs exactly withDomain(hearth-revoke-v1, device ‖ u64 big-endian at), the bytes the relay checks', () => {
    const device = generateDeviceKeys();
    const at = 0x0102_0304_0506;
    expect([...u64BigEndian(at)]).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);
    const expected = signDetached(
      withDomain('hearth-revoke-v1', new Uint8Array([...device.signPublic, 0, 0, 1, 2, 3, 4, 5, 6])),
      device.signSecret,
    );
    expect(toHex(signRevocation(device.signSecret, device.signPublic, at))).toBe(toHex(expected));
    expect(SIGN_DOMAIN.revoke).toBe('hearth-revoke-v1');
    expect(revokeSignedBytes(device.signPublic, at)).toHaveLength(40);
  });

  it('accepts a certificate only for the same identity, keys and time', () => {
    const identity = generateDeviceKeys();
    const device = generateDeviceKeys();
    const certificate = signDeviceCertificate(identity.signSecret, identity.signPublic, device, CREATED_AT);
    expect(verifyDeviceCertificate(identity.signPublic, device, CREATED_AT, certificate)).toBe(true);
    expect(verifyDeviceCertificate(identity.signPublic, device, CREATED_AT + 1, certificate)).toBe(false);
    const other = generateDeviceKeys();
    expect(verifyDeviceCertificate(other.signPublic, device, CREATED_AT, certificate)).toBe(false);
    expect(
      verifyDeviceCertificate(
        identity.signPublic,
        { signPublic: device.signPublic, boxPublic: other.boxPublic },
        CREATED_AT,
        certificate,
      ),
    ).toBe(false);
  });

  it('accepts a revocation by the device or its identity, never by anyone else nor as another kind', () => {
    const identity = generateDeviceKeys();
    const device = generateDeviceKeys();
    const at = Date.now();
    const bySelf = signRevocation(device.signSecret, device.signPublic, at);
    const byIdentity = signRevocation(identity.signSecret, device.signPublic, at);
    const byStranger = signRevocation(generateDeviceKeys().signSecret, device.signPublic, at);
    expect(verifyRevocation(device.signPublic, identity.signPublic, at, bySelf)).toBe(true);
    expect(verifyRevocation(device.signPublic, identity.signPublic, at, byIdentity)).toBe(true);
    expect(verifyRevocation(device.signPublic, identity.signPublic, at, byStranger)).toBe(false);
    expect(verifyRevocation(device.signPublic, identity.signPublic, at + 1, bySelf)).toBe(false);
    // A certificate over the same bytes cannot pass as a revocation: the domains differ.
    const asCertificate = signDetached(
      withDomain(SIGN_DOMAIN.device, revokeSignedBytes(device.signPublic, at)),
      identity.signSecret,
    );
    expect(verifyRevocation(device.signPublic, identity.signPublic, at, asCertificate)).toBe(false);
  });
});

describe('which devices a room trusts', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('trusts a device certified by a verified member, and refuses a forged or foreign one', () => {
    const identity = generateDeviceKeys();
    const stranger = generateDeviceKeys();
    const laptop = generateDeviceKeys();
    const forged = { ...certified(identity, laptop), certificate: certified(stranger, laptop).certificate };
    const foreign = certified(stranger, generateDeviceKeys());
    const members = new Set([toHex(identity.signPublic)]);
    const trusted = verifiedDevices([certified(identity, laptop), forged, foreign], members);
    expect([...trusted.keys()]).toEqual([toHex(laptop.signPublic)]);
    expect(authorStanding(toHex(laptop.signPublic), 5, members, trusted)).toEqual({
      ok: true,
      identity: toHex(identity.signPublic),
    });
    expect(authorStanding(toHex(foreign.signPublic), 5, members, trusted)).toEqual({
      ok: false,
      reason: 'unknown_author',
    });
  });

  it('keeps a revoked device’s envelopes up to the seq the relay held of it, and refuses every later one', () => {
    const identity = generateDeviceKeys();
    const laptop = generateDeviceKeys();
    const members = new Set([toHex(identity.signPublic)]);
    const author = toHex(laptop.signPublic);
    const trusted = verifiedDevices([revoked(certified(identity, laptop), identity, Date.now(), 7)], members);
    expect(authorStanding(author, 7, members, trusted).ok).toBe(true);
    expect(authorStanding(author, 8, members, trusted)).toEqual({ ok: false, reason: 'device_revoked' });
  });

  it('ignores a revocation nobody entitled signed, and honours an identity key that revoked itself', () => {
    const identity = generateDeviceKeys();
    const laptop = generateDeviceKeys();
    const members = new Set([toHex(identity.signPublic)]);
    const fake = revoked(certified(identity, laptop), generateDeviceKeys(), Date.now(), 0);
    expect(authorStanding(toHex(laptop.signPublic), 9, members, verifiedDevices([fake], members)).ok).toBe(
      true,
    );

    const self: RoomDevice = revoked(
      {
        identity: identity.signPublic,
        signPublic: identity.signPublic,
        boxPublic: identity.boxPublic,
        createdAt: 0,
        certificate: new Uint8Array(),
        revokedAt: 0,
        revocation: new Uint8Array(),
        lastSeq: 0,
      },
      identity,
      Date.now(),
      3,
    );
    const trusted = verifiedDevices([self], members);
    expect(authorStanding(toHex(identity.signPublic), 3, members, trusted).ok).toBe(true);
    expect(authorStanding(toHex(identity.signPublic), 4, members, trusted)).toEqual({
      ok: false,
      reason: 'device_revoked',
    });
  });
});

describe('the link code and the sealed grant', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  function grantFor(identity: DeviceKeys, code: LinkCode): LinkGrant {
    return {
      v: 1,
      identity: { signPublic: toBase64Url(identity.signPublic), boxPublic: toBase64Url(identity.boxPublic) },
      device: {
        createdAt: CREATED_AT,
        certificate: toBase64Url(
          signDeviceCertificate(identity.signSecret, identity.signPublic, code, CREATED_AT),
        ),
        name: 'Laptop',
      },
      identityDeviceName: 'Phone',
      profile: { name: 'Dr. Rowan Ellis' },
      rooms: [],
    };
  }

  it('round-trips the code, shows the same number on both screens, and changes it when a key changes', () => {
    const device = generateDeviceKeys();
    const code = { secret: newLinkSecret(), signPublic: device.signPublic, boxPublic: device.boxPublic };
    const text = encodeLinkCode(code);
    const read = decodeLinkCode(` ${text.slice(0, 40)}\n${text.slice(40)} `);
    expect(comparisonFor(read)).toBe(comparisonFor(code));
    expect(comparisonFor(read)).toMatch(/^\d{3} \d{3}$/);
    const swapped = { ...code, boxPublic: generateDeviceKeys().boxPublic };
    expect(comparisonFor(swapped)).not.toBe(comparisonFor(code));
    expect(() => decodeLinkCode(text.slice(0, -5))).toThrow(LinkError);
  });

  it('opens only for the code it was sealed for, and only with a certificate naming this device', () => {
    const identity = generateDeviceKeys();
    const device = generateDeviceKeys();
    const code = { secret: newLinkSecret(), signPublic: device.signPublic, boxPublic: device.boxPublic };
    const box = sealGrant(code, grantFor(identity, code));
    expect(linkIdFor(code.secret)).toHaveLength(32);
    const opened = openGrant(code, box);
    expect(toHex(opened.identity.signPublic)).toBe(toHex(identity.signPublic));
    expect(opened.grant.device.name).toBe('Laptop');

    // A relay that swaps in keys of its own, or another secret, gets nothing that opens.
    expect(() => openGrant({ ...code, boxPublic: generateDeviceKeys().boxPublic }, box)).toThrow(LinkError);
    expect(() => openGrant({ ...code, secret: newLinkSecret() }, box)).toThrow(LinkError);
    // A grant whose certificate names other keys is refused even though it opens.
    const other = generateDeviceKeys();
    const wrongCert = grantFor(identity, { ...code, signPublic: other.signPublic });
    expect(() => openGrant(code, sealGrant(code, wrongCert))).toThrow(LinkError);
  });
});
