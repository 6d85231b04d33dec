import { beforeAll, describe, expect, it } from 'vitest';
import {
  cryptoReady,
  deriveInviteKeys,
  generateDeviceKeys,
  randomBytes,
  signDetached,
  type DeviceKeys,
} from '$lib/crypto';
import { SIGN_DOMAIN } from '$lib/protocol/domains';
import type { Member } from '$lib/protocol/frames';
import { toHex } from '$lib/protocol/hex';
import { INVITE_ID_BYTES } from '$lib/protocol/limits';
import { claimSignedBytes, withDomain } from '$lib/protocol/signedPayloads';
import { inviteAddress, newInviteSecret, signClaim } from '$lib/sync/invites';
import { verifiedMembers, type RoomTrust } from '$lib/sync/memberTrust';

function creatorMember(keys: DeviceKeys): Member {
  return {
    signPublic: keys.signPublic,
    boxPublic: keys.boxPublic,
    proof: new Uint8Array(),
    inviteId: new Uint8Array(),
  };
}

function invitedMember(secret: Uint8Array, keys: DeviceKeys): Member {
  const { inviteId, signature } = signClaim(secret, keys);
  return { signPublic: keys.signPublic, boxPublic: keys.boxPublic, proof: signature, inviteId };
}

describe('which members of a room this device trusts', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('trusts the creator without any proof', () => {
    const creator = generateDeviceKeys();
    const trust: RoomTrust = { creator: creator.signPublic, inviteSecrets: [] };
    expect(verifiedMembers(trust, [creatorMember(creator)])).toEqual(new Set([toHex(creator.signPublic)]));
    expect(verifiedMembers(trust, [])).toEqual(new Set([toHex(creator.signPublic)]));
  });

  it('trusts a member whose proof is a claim signed with the secret of an invite we know', () => {
    const creator = generateDeviceKeys();
    const client = generateDeviceKeys();
    const secret = newInviteSecret();
    const trust: RoomTrust = { creator: creator.signPublic, inviteSecrets: [newInviteSecret(), secret] };
    const verified = verifiedMembers(trust, [creatorMember(creator), invitedMember(secret, client)]);
    expect(verified).toEqual(new Set([toHex(creator.signPublic), toHex(client.signPublic)]));
  });

  it('does not trust a member the relay added with a forged proof', () => {
    const creator = generateDeviceKeys();
    const intruder = generateDeviceKeys();
    const secret = newInviteSecret();
    const trust: RoomTrust = { creator: creator.signPublic, inviteSecrets: [secret] };
    const { inviteId } = inviteAddress(secret);
    // Signed with the intruder's own key instead of the invite's claim key, which only the link holder has.
    const proof = signDetached(
      withDomain(SIGN_DOMAIN.claim, claimSignedBytes(inviteId, intruder.signPublic, intruder.boxPublic)),
      intruder.signSecret,
    );
    const forged: Member = { ...creatorMember(intruder), proof, inviteId };
    const noise: Member = { ...creatorMember(intruder), proof: randomBytes(64), inviteId };
    const empty: Member = { ...creatorMember(intruder), inviteId };
    for (const member of [forged, noise, empty]) {
      expect(verifiedMembers(trust, [creatorMember(creator), member]).has(toHex(intruder.signPublic))).toBe(
        false,
      );
    }
  });

  it('does not trust a valid claim for an invite we never made or used', () => {
    const creator = generateDeviceKeys();
    const stranger = generateDeviceKeys();
    const trust: RoomTrust = { creator: creator.signPublic, inviteSecrets: [newInviteSecret()] };
    const member = invitedMember(newInviteSecret(), stranger);
    expect(verifiedMembers(trust, [member]).has(toHex(stranger.signPublic))).toBe(false);
    const unknownId: Member = { ...member, inviteId: randomBytes(INVITE_ID_BYTES) };
    expect(verifiedMembers(trust, [unknownId]).has(toHex(stranger.signPublic))).toBe(false);
  });

  it('does not trust a real claim moved onto another device key or box key', () => {
    const creator = generateDeviceKeys();
    const client = generateDeviceKeys();
    const relayDevice = generateDeviceKeys();
    const secret = newInviteSecret();
    const trust: RoomTrust = { creator: creator.signPublic, inviteSecrets: [secret] };
    const genuine = invitedMember(secret, client);
    const movedSignKey: Member = { ...genuine, signPublic: relayDevice.signPublic };
    // Swapping only the box key would let the relay receive the room keys meant for the client.
    const movedBoxKey: Member = { ...genuine, boxPublic: relayDevice.boxPublic };
    expect(verifiedMembers(trust, [movedSignKey]).has(toHex(relayDevice.signPublic))).toBe(false);
    expect(verifiedMembers(trust, [movedBoxKey]).has(toHex(client.signPublic))).toBe(false);
  });

  it('does not trust a claim signature made for another purpose', () => {
    const creator = generateDeviceKeys();
    const client = generateDeviceKeys();
    const secret = newInviteSecret();
    const trust: RoomTrust = { creator: creator.signPublic, inviteSecrets: [secret] };
    const { inviteId, claimSecret } = deriveInviteKeys(secret);
    const proof = signDetached(
      withDomain(SIGN_DOMAIN.auth, claimSignedBytes(inviteId, client.signPublic, client.boxPublic)),
      claimSecret,
    );
    const member: Member = { signPublic: client.signPublic, boxPublic: client.boxPublic, proof, inviteId };
    expect(verifiedMembers(trust, [member]).has(toHex(client.signPublic))).toBe(false);
  });
});
