import {
  AEAD_NONCE_BYTES,
  decryptWithKey,
  encryptWithKey,
  newNonce,
  openSealed,
  sealToDevice,
  signDetached,
  verifyDetached,
} from '../crypto';
import { SIGN_DOMAIN } from '../protocol/domains';
import { bytesEqual, concatBytes } from '../protocol/hex';
import { decodeKeyBundle, encodeKeyBundle, encodeKeyBundleBody, type KeyShare } from '../protocol/keyBundle';
import { ByteReader } from '../protocol/reader';
import { withDomain } from '../protocol/signedPayloads';
import { ByteWriter } from '../protocol/writer';

/** A device a new room key is sealed to. */
export interface KeyRecipient {
  identity: Uint8Array;
  boxPublic: Uint8Array;
}

export interface MakeKeyBundle {
  room: Uint8Array;
  epoch: number;
  signer: { signPublic: Uint8Array; signSecret: Uint8Array };
  /** The new epoch's key. */
  key: Uint8Array;
  /** Every earlier key this device holds, by epoch. */
  earlier: ReadonlyMap<number, Uint8Array>;
  recipients: KeyRecipient[];
}

/**
 * A key bundle: the new room key sealed (crypto_box_seal) to each recipient device, the earlier keys sealed under
 * the new one (so a member added now can read the history), all signed by the device that made the key.
 */
export function makeKeyBundle(input: MakeKeyBundle): Uint8Array {
  const nonce = newNonce();
  const history = concatBytes(
    nonce,
    encryptWithKey(input.key, nonce, encodeKeyList(input.earlier), historyAd(input.room, input.epoch)),
  );
  const shares: KeyShare[] = input.recipients.map((r) => ({
    identity: r.identity,
    boxPublic: r.boxPublic,
    sealedKey: sealToDevice(r.boxPublic, input.key),
  }));
  const body = { room: input.room, epoch: input.epoch, signer: input.signer.signPublic, history, shares };
  const signature = signDetached(
    withDomain(SIGN_DOMAIN.keyBundle, encodeKeyBundleBody(body)),
    input.signer.signSecret,
  );
  return encodeKeyBundle({ ...body, signature });
}

export type OpenedBundle =
  | { ok: true; epoch: number; signer: Uint8Array; keys: Map<number, Uint8Array> }
  | { ok: false; reason: 'malformed' | 'wrong_room' | 'bad_signature' | 'not_for_me' | 'decrypt_failed' };

/**
 * Check and open a bundle for this device: well-formed, for `room`, signed by its stated signer (whether that signer
 * may rotate the room's key is the caller's question), with a share sealed to this device's box key.
 */
export function openKeyBundle(
  bytes: Uint8Array,
  room: Uint8Array,
  device: { boxPublic: Uint8Array; boxSecret: Uint8Array },
): OpenedBundle {
  let decoded;
  try {
    decoded = decodeKeyBundle(bytes);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const { bundle, body } = decoded;
  if (!bytesEqual(bundle.room, room)) return { ok: false, reason: 'wrong_room' };
  if (!verifyDetached(bundle.signature, withDomain(SIGN_DOMAIN.keyBundle, body), bundle.signer)) {
    return { ok: false, reason: 'bad_signature' };
  }
  const share = bundle.shares.find((s) => bytesEqual(s.boxPublic, device.boxPublic));
  if (!share) return { ok: false, reason: 'not_for_me' };
  try {
    const key = openSealed(device.boxPublic, device.boxSecret, share.sealedKey);
    const nonce = bundle.history.subarray(0, AEAD_NONCE_BYTES);
    const sealedHistory = bundle.history.subarray(AEAD_NONCE_BYTES);
    const keys = decodeKeyList(
      decryptWithKey(key, nonce, sealedHistory, historyAd(bundle.room, bundle.epoch)),
    );
    keys.set(bundle.epoch, key);
    return { ok: true, epoch: bundle.epoch, signer: bundle.signer, keys };
  } catch {
    return { ok: false, reason: 'decrypt_failed' };
  }
}

/** The epoch and signer a bundle claims, read without opening it (undefined if it does not decode). */
export function peekKeyBundle(
  bytes: Uint8Array,
): { room: Uint8Array; epoch: number; signer: Uint8Array } | undefined {
  try {
    const { bundle } = decodeKeyBundle(bytes);
    return { room: bundle.room, epoch: bundle.epoch, signer: bundle.signer };
  } catch {
    return undefined;
  }
}

function historyAd(room: Uint8Array, epoch: number): Uint8Array {
  return concatBytes(
    new TextEncoder().encode('hearth-keyhistory-v1'),
    room,
    new ByteWriter().varUint(epoch).finish(),
  );
}

function encodeKeyList(keys: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const w = new ByteWriter().varUint(keys.size);
  for (const [epoch, key] of [...keys].sort((a, b) => a[0] - b[0])) w.varUint(epoch).fixed(key);
  return w.finish();
}

function decodeKeyList(bytes: Uint8Array): Map<number, Uint8Array> {
  const r = new ByteReader(bytes);
  const count = r.varUint();
  const keys = new Map<number, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const epoch = r.varUint();
    keys.set(epoch, r.fixed(32).slice());
  }
  r.end();
  return keys;
}
