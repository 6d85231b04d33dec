import { SIGN_DOMAIN } from '../protocol/domains';
import { decodeEnvelope, ENVELOPE_KIND, type Envelope } from '../protocol/envelope';
import { bytesEqual } from '../protocol/hex';
import { MAX_BLOB_BYTES } from '../protocol/limits';
import { sealEnvelope, verifyAndDecrypt } from './envelopeSeal';

/**
 * A device that is caught up uploads a snapshot once the room has this many envelopes beyond the last snapshot it
 * knows of. Rare on purpose: a snapshot is the whole document, and any one member's serves every new device.
 */
export const SNAPSHOT_AFTER_ENVELOPES = 500;

export interface SnapshotSealInput {
  room: Uint8Array;
  author: { signPublic: Uint8Array; signSecret: Uint8Array };
  epoch: number;
  roomKey: Uint8Array;
  /** The snapshot covers every envelope of the room up to this seq (and nothing after). */
  upToSeq: number;
  /** `Y.encodeStateAsUpdate(doc)` of a document holding exactly those envelopes. */
  state: Uint8Array;
}

export class SnapshotTooLargeError extends Error {
  readonly code = 'blob_too_large';
  constructor() {
    super(`this snapshot is larger than ${MAX_BLOB_BYTES} bytes once sealed`);
    this.name = 'SnapshotTooLargeError';
  }
}

/**
 * Seal a document snapshot as an envelope of kind `snapshot`: the header's `clock` carries `upToSeq`, the state is
 * encrypted under the room key of `epoch` with the header as associated data, and the signature uses the snapshot
 * domain, so a snapshot can never be replayed as an update (or the reverse). The bytes travel as a blob.
 */
export function sealSnapshot(input: SnapshotSealInput): Uint8Array {
  const { bytes } = sealEnvelope({
    ...input,
    kind: ENVELOPE_KIND.snapshot,
    domain: SIGN_DOMAIN.snapshot,
    clock: input.upToSeq,
    plaintext: input.state,
  });
  if (bytes.length > MAX_BLOB_BYTES) throw new SnapshotTooLargeError();
  return bytes;
}

export type SnapshotFailure =
  'malformed' | 'not_a_snapshot' | 'wrong_room' | 'bad_signature' | 'unknown_epoch' | 'decrypt_failed';

export type OpenedSnapshot =
  | { ok: true; envelope: Envelope; upToSeq: number; state: Uint8Array }
  | { ok: false; reason: SnapshotFailure };

/**
 * Check and open a sealed snapshot of `room`: well-formed, of kind snapshot, signed under the snapshot domain by
 * its stated author, sealed under a room key we hold. Whether the author may write to the room, and whether
 * `upToSeq` is the one the relay announced, are the caller's questions.
 */
export function openSnapshot(
  bytes: Uint8Array,
  room: Uint8Array,
  keyForEpoch: (epoch: number) => Uint8Array | undefined,
): OpenedSnapshot {
  let decoded;
  try {
    decoded = decodeEnvelope(bytes, MAX_BLOB_BYTES);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const { envelope } = decoded;
  if (envelope.kind !== ENVELOPE_KIND.snapshot) return { ok: false, reason: 'not_a_snapshot' };
  if (!bytesEqual(envelope.room, room)) return { ok: false, reason: 'wrong_room' };
  const opened = verifyAndDecrypt(decoded, SIGN_DOMAIN.snapshot, keyForEpoch);
  return opened.ok ? { ok: true, envelope, upToSeq: envelope.clock, state: opened.plaintext } : opened;
}
