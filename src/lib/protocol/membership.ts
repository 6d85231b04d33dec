import { ProtocolError } from './errors';
import {
  MAX_MEMBERSHIP_ENTRY_BYTES,
  PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
  SIGNATURE_BYTES,
} from './limits';
import { ByteReader } from './reader';
import { ByteWriter } from './writer';

/**
 * Kinds of membership change. Persisted on the wire and in every room's log: never renumber or reuse one.
 * `create` starts the log (by the room's starter, who becomes its manager); `add`, `remove` and `handover` are the
 * manager's; `leave` is the leaver's own.
 */
export const MEMBERSHIP_KIND = { create: 1, add: 2, remove: 3, leave: 4, handover: 5 } as const;
export type MembershipKind = keyof typeof MEMBERSHIP_KIND;

/** Bytes of the hash that links each entry to the one before it (SHA-256 of the previous entry's bytes). */
export const MEMBERSHIP_HASH_BYTES = 32;

/** The signed part of a membership log entry. */
export interface MembershipBody {
  room: Uint8Array;
  /** Position in the room's log: 0 for `create`, then 1, 2, 3... */
  index: number;
  /** SHA-256 of the whole previous entry (body and signature); 32 zero bytes for the first. */
  prev: Uint8Array;
  kind: MembershipKind;
  /** The identity the change is about: its signing and box public keys. */
  subjectSign: Uint8Array;
  subjectBox: Uint8Array;
  /** The identity that made the change, whose key signed it. */
  author: Uint8Array;
  /** Ms since the epoch, as the author's clock said (shown in the conversation; never used to order). */
  at: number;
}

export interface MembershipEntry extends MembershipBody {
  signature: Uint8Array;
}

const KIND_BY_NUMBER = new Map<number, MembershipKind>(
  Object.entries(MEMBERSHIP_KIND).map(([name, n]) => [n, name as MembershipKind]),
);

/** Canonical body bytes: what the author signs under `hearth-membership-v1`. */
export function encodeMembershipBody(body: MembershipBody): Uint8Array {
  return new ByteWriter()
    .u8(PROTOCOL_VERSION)
    .fixed(body.room)
    .varUint(body.index)
    .fixed(body.prev)
    .u8(MEMBERSHIP_KIND[body.kind])
    .fixed(body.subjectSign)
    .fixed(body.subjectBox)
    .fixed(body.author)
    .varUint(body.at)
    .finish();
}

/** Full entry bytes: body, then the 64-byte signature. */
export function encodeMembershipEntry(entry: MembershipEntry): Uint8Array {
  return new ByteWriter().fixed(encodeMembershipBody(entry)).fixed(entry.signature).finish();
}

/**
 * Decode untrusted entry bytes; throws `ProtocolError('malformed_frame')` (or `unknown_version`) for anything but a
 * whole v1 entry of a known kind. Returns the exact body bytes the signature covers.
 */
export function decodeMembershipEntry(bytes: Uint8Array): { entry: MembershipEntry; body: Uint8Array } {
  if (bytes.length > MAX_MEMBERSHIP_ENTRY_BYTES) {
    throw new ProtocolError(
      'malformed_frame',
      `membership entry is over ${MAX_MEMBERSHIP_ENTRY_BYTES} bytes`,
    );
  }
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('unknown_version', `membership entry version ${version} is not supported`);
  }
  const room = r.fixed(ROOM_ID_BYTES);
  const index = r.varUint();
  const prev = r.fixed(MEMBERSHIP_HASH_BYTES);
  const kindNumber = r.u8();
  const kind = KIND_BY_NUMBER.get(kindNumber);
  if (!kind) throw new ProtocolError('malformed_frame', `unknown membership kind ${kindNumber}`);
  const subjectSign = r.fixed(PUBLIC_KEY_BYTES);
  const subjectBox = r.fixed(PUBLIC_KEY_BYTES);
  const author = r.fixed(PUBLIC_KEY_BYTES);
  const at = r.varUint();
  const body = bytes.subarray(0, r.offset);
  const signature = r.fixed(SIGNATURE_BYTES);
  r.end();
  return {
    entry: { room, index, prev, kind, subjectSign, subjectBox, author, at, signature },
    body,
  };
}
