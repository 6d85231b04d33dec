import { beforeAll, describe, expect, it } from 'vitest';
import {
  cryptoReady,
  deriveInviteKeys,
  INVITE_SECRET_BYTES,
  randomBytes,
  signDetached,
  verifyDetached,
} from '$lib/crypto';
import { INVITE_ID_BYTES, PUBLIC_KEY_BYTES } from '$lib/protocol/limits';

describe('invite key derivation', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('derives the same id, box key and claim key pair from the same secret', () => {
    const secret = randomBytes(INVITE_SECRET_BYTES);
    expect(deriveInviteKeys(secret.slice())).toEqual(deriveInviteKeys(secret));
  });

  it('derives four distinct values of the sizes the wire expects', () => {
    const keys = deriveInviteKeys(randomBytes(INVITE_SECRET_BYTES));
    expect(keys.inviteId.length).toBe(INVITE_ID_BYTES);
    expect(keys.boxKey.length).toBe(32);
    expect(keys.claimPublic.length).toBe(PUBLIC_KEY_BYTES);
    // The id is public (the relay files the invite under it); it must not reveal the box key.
    expect(keys.inviteId).not.toEqual(keys.boxKey);
    expect(keys.claimPublic).not.toEqual(keys.inviteId);
    expect(keys.claimPublic).not.toEqual(keys.boxKey);
  });

  it('derives unrelated keys from different secrets', () => {
    const a = deriveInviteKeys(randomBytes(INVITE_SECRET_BYTES));
    const b = deriveInviteKeys(randomBytes(INVITE_SECRET_BYTES));
    expect(a.inviteId).not.toEqual(b.inviteId);
    expect(a.boxKey).not.toEqual(b.boxKey);
    expect(a.claimPublic).not.toEqual(b.claimPublic);
  });

  it('derives a claim key pair whose halves belong together', () => {
    const keys = deriveInviteKeys(randomBytes(INVITE_SECRET_BYTES));
    const payload = new TextEncoder().encode('claim');
    expect(verifyDetached(signDetached(payload, keys.claimSecret), payload, keys.claimPublic)).toBe(true);
  });
});
