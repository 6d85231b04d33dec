import type { RoomDevice } from '../protocol/frames';
import { toHex } from '../protocol/hex';
import { verifyDeviceCertificate, verifyRevocation } from './deviceCertificate';

/** A device this device may accept envelopes from, and until when. */
export interface TrustedDevice {
  /** Hex signing key of the identity it acts for. */
  identity: string;
  /** 0 while active. */
  revokedAt: number;
  /** Envelopes of a revoked device with a seq above this are refused. */
  lastSeq: number;
  /** Its X25519 key, as its certificate names it: new room keys are sealed to it. */
  boxPublic: Uint8Array;
}

/**
 * The devices of a room's DEVICES frame that this device can check for itself: a certificate signed by a member
 * identity it already verified, and a revocation signed by the device or that identity. A relay can withhold a
 * device or a revocation, but cannot invent a device, nor revoke one.
 */
export function verifiedDevices(devices: RoomDevice[], members: Set<string>): Map<string, TrustedDevice> {
  const out = new Map<string, TrustedDevice>();
  for (const device of devices) {
    const identity = toHex(device.identity);
    if (!members.has(identity)) continue;
    const isIdentityKey = identity === toHex(device.signPublic);
    if (
      !isIdentityKey &&
      !verifyDeviceCertificate(device.identity, device, device.createdAt, device.certificate)
    ) {
      continue;
    }
    const revoked =
      device.revokedAt > 0 &&
      verifyRevocation(device.signPublic, device.identity, device.revokedAt, device.revocation);
    // An identity key is listed only for its revocation: without a valid one it is an ordinary member.
    if (isIdentityKey && !revoked) continue;
    out.set(toHex(device.signPublic), {
      identity,
      revokedAt: revoked ? device.revokedAt : 0,
      lastSeq: device.lastSeq,
      boxPublic: device.boxPublic,
    });
  }
  return out;
}

export type AuthorStanding =
  { ok: true; identity: string } | { ok: false; reason: 'unknown_author' | 'device_revoked' };

/**
 * Whether an envelope by `author` at `seq` may be applied. A revoked device's envelopes up to the highest seq the
 * relay held of it are kept (they were written before the revocation, and every device must show the same
 * record); anything after is refused. The relay refuses them too, so this only matters if it misbehaves.
 */
export function authorStanding(
  author: string,
  seq: number,
  members: Set<string>,
  devices: Map<string, TrustedDevice>,
): AuthorStanding {
  const device = devices.get(author);
  if (device) {
    if (!members.has(device.identity)) return { ok: false, reason: 'unknown_author' };
    if (device.revokedAt > 0 && seq > device.lastSeq) return { ok: false, reason: 'device_revoked' };
    return { ok: true, identity: device.identity };
  }
  return members.has(author) ? { ok: true, identity: author } : { ok: false, reason: 'unknown_author' };
}
