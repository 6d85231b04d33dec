import { ProtocolError } from './errors';
import {
  MAX_KEY_BUNDLE_BYTES,
  MAX_KEY_BUNDLE_RECIPIENTS,
  PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
  SEALED_ROOM_KEY_BYTES,
  SIGNATURE_BYTES,
} from './limits';
import { ByteReader } from './reader';
import { ByteWriter } from './writer';

/** One recipient device of a key bundle: the new room key sealed to its box key. */
export interface KeyShare {
  /** The member identity the device acts for (its own key, or the identity that certified it). */
  identity: Uint8Array;
  /** The device's X25519 box public key the key is sealed to. */
  boxPublic: Uint8Array;
  /** crypto_box_seal of the 32-byte room key of `epoch`. */
  sealedKey: Uint8Array;
}

/** The signed part of a key bundle. */
export interface KeyBundleBody {
  room: Uint8Array;
  /** The epoch whose key this bundle carries. */
  epoch: number;
  /** The device that made the key and signed the bundle. */
  signer: Uint8Array;
  /**
   * The keys of earlier epochs, sealed under the new key (nonce ‖ XChaCha20-Poly1305 ciphertext): a member added
   * later must read the whole history, since every Yjs update builds on the ones before it.
   */
  history: Uint8Array;
  shares: KeyShare[];
}

export interface KeyBundle extends KeyBundleBody {
  signature: Uint8Array;
}

/** Canonical body bytes: what the signer signs under `hearth-keybundle-v1`. */
export function encodeKeyBundleBody(body: KeyBundleBody): Uint8Array {
  const w = new ByteWriter()
    .u8(PROTOCOL_VERSION)
    .fixed(body.room)
    .varUint(body.epoch)
    .fixed(body.signer)
    .varBytes(body.history)
    .varUint(body.shares.length);
  for (const share of body.shares) w.fixed(share.identity).fixed(share.boxPublic).varBytes(share.sealedKey);
  return w.finish();
}

export function encodeKeyBundle(bundle: KeyBundle): Uint8Array {
  return new ByteWriter().fixed(encodeKeyBundleBody(bundle)).fixed(bundle.signature).finish();
}

/**
 * Decode untrusted bundle bytes; throws `ProtocolError` (`key_bundle_invalid` for a bad layout or size,
 * `unknown_version`). Returns the exact body bytes the signature covers.
 */
export function decodeKeyBundle(bytes: Uint8Array): { bundle: KeyBundle; body: Uint8Array } {
  if (bytes.length > MAX_KEY_BUNDLE_BYTES) {
    throw new ProtocolError('key_bundle_invalid', `key bundle is over ${MAX_KEY_BUNDLE_BYTES} bytes`);
  }
  try {
    return readBundle(new ByteReader(bytes), bytes);
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'malformed_frame') {
      throw new ProtocolError('key_bundle_invalid', error.message);
    }
    throw error;
  }
}

function readBundle(r: ByteReader, bytes: Uint8Array): { bundle: KeyBundle; body: Uint8Array } {
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('unknown_version', `key bundle version ${version} is not supported`);
  }
  const room = r.fixed(ROOM_ID_BYTES);
  const epoch = r.varUint();
  const signer = r.fixed(PUBLIC_KEY_BYTES);
  const history = r.varBytes(MAX_KEY_BUNDLE_BYTES);
  const count = r.varUint();
  if (count === 0 || count > MAX_KEY_BUNDLE_RECIPIENTS) {
    throw new ProtocolError(
      'malformed_frame',
      `a key bundle names 1 to ${MAX_KEY_BUNDLE_RECIPIENTS} devices`,
    );
  }
  const shares: KeyShare[] = [];
  for (let i = 0; i < count; i++) {
    const identity = r.fixed(PUBLIC_KEY_BYTES);
    const boxPublic = r.fixed(PUBLIC_KEY_BYTES);
    const sealedKey = r.varBytes(SEALED_ROOM_KEY_BYTES);
    if (sealedKey.length !== SEALED_ROOM_KEY_BYTES) {
      throw new ProtocolError('malformed_frame', 'a sealed room key is 80 bytes');
    }
    shares.push({ identity, boxPublic, sealedKey });
  }
  const body = bytes.subarray(0, r.offset);
  const signature = r.fixed(SIGNATURE_BYTES);
  r.end();
  return { bundle: { room, epoch, signer, history, shares, signature }, body };
}
