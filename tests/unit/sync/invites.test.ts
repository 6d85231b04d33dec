import { beforeAll, describe, expect, it } from 'vitest';
import {
  cryptoReady,
  generateDeviceKeys,
  newSymmetricKey,
  randomBytes,
  toBase64Url,
  verifyDetached,
} from '$lib/crypto';
import { SIGN_DOMAIN } from '$lib/protocol/domains';
import { toHex } from '$lib/protocol/hex';
import { INVITE_TTL_MS } from '$lib/protocol/limits';
import { claimSignedBytes, withDomain } from '$lib/protocol/signedPayloads';
import {
  decodeInviteFragment,
  encodeInviteFragment,
  fragmentKind,
  InviteError,
  inviteAddress,
  newInviteSecret,
  newRoom,
  openInvite,
  sealInvite,
  signClaim,
  type InviteLink,
  type InvitePayload,
} from '$lib/sync/invites';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { containsBytes, flipByte } from '../support/containsBytes';

const NOW = 1_800_000_000_000;

function newKeyring(): Keyring {
  return firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
}

function inviteFrom(inviter: Keyring) {
  const { room, roomKey } = newRoom();
  const secret = newInviteSecret();
  const payload: InvitePayload = {
    v: 1,
    room: toHex(room),
    epoch: 0,
    roomKey: toBase64Url(roomKey),
    inviter: {
      signPublic: toBase64Url(inviter.signPublic),
      boxPublic: toBase64Url(inviter.boxPublic),
      name: 'Dr. Ada Morgan',
      replyPromise: 'I reply within two working days.',
      role: 'therapist',
    },
    expiresAt: NOW + INVITE_TTL_MS,
    kind: 'conversation',
  };
  const link: InviteLink = { secret, inviter: inviter.signPublic, kind: 'conversation' };
  return { secret, payload, link, box: sealInvite(secret, payload, inviter) };
}

function problem(open: () => unknown): string {
  try {
    open();
  } catch (error) {
    if (error instanceof InviteError) return error.code;
    throw error;
  }
  throw new Error('the invite was accepted');
}

describe('invite links', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('round-trips the secret and inviter key through the fragment', () => {
    const link: InviteLink = {
      secret: newInviteSecret(),
      inviter: generateDeviceKeys().signPublic,
      kind: 'conversation',
    };
    const fragment = encodeInviteFragment(link);
    expect(fragment.startsWith('v1.')).toBe(true);
    expect(decodeInviteFragment(fragment)).toEqual(link);
    expect(decodeInviteFragment(`#${fragment}`)).toEqual(link);
  });

  it('marks a practice invite in its fragment', () => {
    const link: InviteLink = { secret: newInviteSecret(), inviter: randomBytes(32), kind: 'practice' };
    const fragment = encodeInviteFragment(link);
    expect(fragment.endsWith('.practice')).toBe(true);
    expect(decodeInviteFragment(fragment)).toEqual(link);
    expect(fragmentKind(`#${fragment}`)).toBe('practice');
    expect(fragmentKind(encodeInviteFragment({ ...link, kind: 'conversation' }))).toBe('conversation');
    expect(fragmentKind('v1.practice')).toBe('conversation');
  });

  it('keeps the fragment safe to put in a URL', () => {
    const fragment = encodeInviteFragment({
      secret: newInviteSecret(),
      inviter: randomBytes(32),
      kind: 'practice',
    });
    expect(fragment).toMatch(/^[A-Za-z0-9._-]+$/);
  });

  it('refuses damaged or incomplete fragments as malformed', () => {
    const secret = toBase64Url(newInviteSecret());
    const key = toBase64Url(generateDeviceKeys().signPublic);
    const damaged = [
      '',
      '#',
      'v1.',
      `v2.${secret}.${key}`,
      `V1.${secret}.${key}`,
      `v1.${secret}`,
      `v1.${secret}.`,
      `v1.${secret}.${key}.${key}`,
      `v1.${secret}.${key}.clinic`,
      `v1.${secret}.${key}.practice.`,
      `v1.${secret}..${key}`,
      `v1.${secret.slice(0, -2)}.${key}`, // a secret cut short when the link was copied
      `v1.${secret}.${key.slice(0, -1)}`,
      `v1.${secret}${secret}.${key}`,
      `v1.${secret}=.${key}`,
      `v1.${secret} .${key}`,
      `v1.+${secret.slice(1)}.${key}`, // standard base64, not URL-safe
      `##v1.${secret}.${key}`,
    ];
    for (const fragment of damaged) {
      expect(
        problem(() => decodeInviteFragment(fragment)),
        JSON.stringify(fragment),
      ).toBe('malformed');
    }
  });

  it('opens a sealed invite with the link it was made for', () => {
    const inviter = newKeyring();
    const { link, payload, box } = inviteFrom(inviter);
    expect(openInvite(link, box, NOW)).toEqual(payload);
  });

  it('keeps the room key and names out of what the relay stores', () => {
    const { payload, box } = inviteFrom(newKeyring());
    const text = new TextEncoder();
    expect(containsBytes(box, text.encode(payload.roomKey))).toBe(false);
    expect(containsBytes(box, text.encode(payload.inviter.name))).toBe(false);
  });

  it('refuses an invite signed by a key other than the one in the link', () => {
    const inviter = newKeyring();
    const impostor = newKeyring();
    const { secret, payload, link } = inviteFrom(inviter);
    // The relay (or anyone who saw the box) swaps in an invite of its own, under the same secret-derived keys.
    const substituted = sealInvite(secret, payload, impostor);
    expect(problem(() => openInvite(link, substituted, NOW))).toBe('tampered');
  });

  it('refuses an invite whose contents name a different inviter than the link', () => {
    const inviter = newKeyring();
    const { secret, payload, link } = inviteFrom(inviter);
    const other = generateDeviceKeys();
    const misnamed = sealInvite(
      secret,
      { ...payload, inviter: { ...payload.inviter, signPublic: toBase64Url(other.signPublic) } },
      inviter,
    );
    expect(problem(() => openInvite(link, misnamed, NOW))).toBe('tampered');
  });

  it('refuses an invite with any byte altered', () => {
    const { link, box } = inviteFrom(newKeyring());
    for (let i = 0; i < box.length; i++) {
      expect(
        problem(() => openInvite(link, flipByte(box, i), NOW)),
        `byte ${i}`,
      ).toBe('tampered');
    }
  });

  it('refuses an invite cut short', () => {
    const { link, box } = inviteFrom(newKeyring());
    for (const length of [0, 24, 24 + 64, box.length - 1]) {
      expect(
        problem(() => openInvite(link, box.subarray(0, length), NOW)),
        `${length} bytes`,
      ).toBe('tampered');
    }
  });

  it('refuses an invite sealed for a different link secret', () => {
    const inviter = newKeyring();
    const { box } = inviteFrom(inviter);
    const otherLink: InviteLink = {
      secret: newInviteSecret(),
      inviter: inviter.signPublic,
      kind: 'conversation',
    };
    expect(problem(() => openInvite(otherLink, box, NOW))).toBe('tampered');
  });

  it('refuses contents that are not an invite, even when properly signed and sealed', () => {
    const inviter = newKeyring();
    const { secret, payload, link } = inviteFrom(inviter);
    const wrongShape = { ...payload, v: 2 } as unknown as InvitePayload;
    expect(problem(() => openInvite(link, sealInvite(secret, wrongShape, inviter), NOW))).toBe('tampered');
  });

  it('refuses an invite from its expiry time on, and accepts it until then', () => {
    const { link, payload, box } = inviteFrom(newKeyring());
    expect(openInvite(link, box, payload.expiresAt - 1)).toEqual(payload);
    expect(problem(() => openInvite(link, box, payload.expiresAt))).toBe('expired');
    expect(problem(() => openInvite(link, box, payload.expiresAt + INVITE_TTL_MS))).toBe('expired');
  });

  it('signs a claim the relay can check against the invite address, binding both device keys', () => {
    const secret = newInviteSecret();
    const device = newKeyring();
    const { inviteId, signature } = signClaim(secret, device);
    const address = inviteAddress(secret);
    expect(inviteId).toEqual(address.inviteId);
    const signed = (signPublic: Uint8Array, boxPublic: Uint8Array) =>
      withDomain(SIGN_DOMAIN.claim, claimSignedBytes(inviteId, signPublic, boxPublic));
    expect(verifyDetached(signature, signed(device.signPublic, device.boxPublic), address.claimPublic)).toBe(
      true,
    );
    const other = generateDeviceKeys();
    expect(verifyDetached(signature, signed(other.signPublic, device.boxPublic), address.claimPublic)).toBe(
      false,
    );
    expect(verifyDetached(signature, signed(device.signPublic, other.boxPublic), address.claimPublic)).toBe(
      false,
    );
  });
});
