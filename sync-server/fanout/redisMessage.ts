import { decodeFrame, type Delivery } from '../../src/lib/protocol/frames';
import { PUBLIC_KEY_BYTES, ROOM_ID_BYTES } from '../../src/lib/protocol/limits';
import { deliverFrames } from '../deliverFrames';

/** Random per relay process; a process skips messages carrying its own (it already delivered them locally). */
export const ORIGIN_BYTES = 16;

const KIND_APPENDED = 1;
const KIND_MEMBERS_CHANGED = 2;
const KIND_ROOMS_CHANGED = 3;

/**
 * What one relay tells the others through Redis, binary:
 *
 *   fixed(16) origin ‖ u8 kind ‖ fixed(16) room ‖ body
 *
 * kind 1 (appended): body is a DELIVER frame exactly as PROTOCOL.md gives it (one page of a commit's envelopes of
 * the room, so the receiver reuses the frame decoder and its limits). kind 2 (members changed): no body; the
 * receiver reloads the member list from storage, which is the source of truth.
 *
 * kind 3 (an identity's rooms changed) names an identity instead of a room: fixed(16) origin ‖ u8 3 ‖ fixed(32)
 * identity; the receiver's sockets of that identity reread its rooms from storage.
 */
export type RelayMessage =
  | { kind: 'appended'; origin: Uint8Array; room: Uint8Array; deliveries: Delivery[] }
  | { kind: 'membersChanged'; origin: Uint8Array; room: Uint8Array }
  | { kind: 'roomsChanged'; origin: Uint8Array; identity: Uint8Array };

/** The messages announcing one commit's envelopes of `room`: one per DELIVER page (frames shared with local sends). */
export function appendedMessages(origin: Uint8Array, room: Uint8Array, deliveries: Delivery[]): Buffer[] {
  return deliverFrames(room, deliveries).map((frame) =>
    Buffer.concat([origin, Uint8Array.of(KIND_APPENDED), room, frame]),
  );
}

export function membersChangedMessage(origin: Uint8Array, room: Uint8Array): Buffer {
  return Buffer.concat([origin, Uint8Array.of(KIND_MEMBERS_CHANGED), room]);
}

export function roomsChangedMessage(origin: Uint8Array, identity: Uint8Array): Buffer {
  return Buffer.concat([origin, Uint8Array.of(KIND_ROOMS_CHANGED), identity]);
}

/**
 * The room a message is about, read without decoding the body (to drop rooms nobody here listens to); undefined
 * for a message about an identity.
 */
export function messageRoom(message: Uint8Array): Uint8Array | undefined {
  if (message[ORIGIN_BYTES] === KIND_ROOMS_CHANGED) return undefined;
  const start = ORIGIN_BYTES + 1;
  return message.length >= start + ROOM_ID_BYTES ? message.subarray(start, start + ROOM_ID_BYTES) : undefined;
}

export function messageOrigin(message: Uint8Array): Uint8Array {
  return message.subarray(0, ORIGIN_BYTES);
}

/** Parse a message from Redis; throws (ProtocolError or Error) on anything malformed. */
export function decodeRelayMessage(message: Uint8Array): RelayMessage {
  if (message[ORIGIN_BYTES] === KIND_ROOMS_CHANGED) {
    if (message.length !== ORIGIN_BYTES + 1 + PUBLIC_KEY_BYTES) throw new Error('rooms-changed message size');
    return {
      kind: 'roomsChanged',
      origin: messageOrigin(message),
      identity: message.subarray(ORIGIN_BYTES + 1),
    };
  }
  const room = messageRoom(message);
  if (!room) throw new Error('relay message too short');
  const origin = messageOrigin(message);
  const kind = message[ORIGIN_BYTES];
  const body = message.subarray(ORIGIN_BYTES + 1 + ROOM_ID_BYTES);
  if (kind === KIND_MEMBERS_CHANGED && body.length === 0) return { kind: 'membersChanged', origin, room };
  if (kind !== KIND_APPENDED) throw new Error(`unknown relay message kind ${kind}`);
  const frame = decodeFrame(body);
  if (frame.type !== 'deliver' || Buffer.compare(frame.room, room) !== 0) {
    throw new Error('relay message body is not a DELIVER frame of its room');
  }
  return { kind: 'appended', origin, room, deliveries: frame.deliveries };
}
