import { isErrorCode, ProtocolError, type ErrorCode } from './errors';
import {
  CHALLENGE_BYTES,
  ENVELOPE_ID_BYTES,
  INVITE_ID_BYTES,
  BLOB_CHUNK_BYTES,
  BLOB_HASH_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_ERROR_TEXT_CHARS,
  MAX_FRAME_BYTES,
  MAX_INVITE_BOX_BYTES,
  MAX_GRANT_BYTES,
  MAX_KEY_BUNDLE_BYTES,
  MAX_MEMBERSHIP_ENTRIES,
  MAX_MEMBERSHIP_ENTRY_BYTES,
  MAX_ROOM_LIST,
  LINK_ID_BYTES,
  MAX_PUSH_ENDPOINT_CHARS,
  PROTOCOL_VERSION,
  PUSH_AUTH_BYTES,
  PUSH_ENDPOINT_ID_BYTES,
  PUSH_P256DH_BYTES,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
  SIGNATURE_BYTES,
} from './limits';
import { ByteReader } from './reader';
import { ByteWriter } from './writer';

/**
 * Frame type numbers. Persisted on the wire: never renumber or reuse one. See sync-server/PROTOCOL.md for the
 * byte layout of each and who may send it.
 */
export const FRAME = {
  challenge: 1,
  auth: 2,
  ready: 3,
  subscribe: 4,
  append: 5,
  ack: 6,
  deliver: 7,
  caughtUp: 8,
  error: 9,
  createRoom: 10,
  roomCreated: 11,
  putInvite: 12,
  inviteStored: 13,
  getInvite: 14,
  invite: 15,
  claimInvite: 16,
  claimed: 17,
  members: 18,
  blobPut: 19,
  blobProgress: 20,
  blobStatus: 21,
  blobGet: 22,
  blobChunk: 23,
  putSnapshot: 24,
  snapshotStored: 25,
  snapshot: 26,
  subscribeLatest: 27,
  devices: 28,
  linkDevice: 29,
  deviceLinked: 30,
  fetchGrant: 31,
  grant: 32,
  revokeDevice: 33,
  deviceRevoked: 34,
  listDevices: 35,
  deviceList: 36,
  // 37-39 stay reserved for device management; push notifications use 40-44 (44 unused).
  pushSubscribe: 40,
  pushSubscribed: 41,
  pushUnsubscribe: 42,
  pushUnsubscribed: 43,
  // 44 stays reserved for push. Conversations (membership log, key epochs, room discovery) use 45-52.
  membershipChange: 45,
  membershipAccepted: 46,
  membershipLog: 47,
  putKeyBundle: 48,
  keyBundleStored: 49,
  keyBundle: 50,
  roomList: 51,
  listRooms: 52,
} as const;

export interface Member {
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
  /** The invite claim signature that admitted this member; empty for the room's creator. */
  proof: Uint8Array;
  /** Which invite the proof belongs to; empty for the creator. */
  inviteId: Uint8Array;
}

/**
 * A device acting for a member identity of a room: a linked device with its certificate, or (listed only once
 * revoked) a first device, whose key is the identity itself and whose certificate is empty.
 */
export interface RoomDevice {
  identity: Uint8Array;
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
  /** Ms since the epoch, as the certificate signs it (0 for an identity's own key). */
  createdAt: number;
  /** The identity's hearth-device-v1 signature; empty when `signPublic` is the identity. */
  certificate: Uint8Array;
  /** Ms since the epoch the revocation names; 0 while the device is active. */
  revokedAt: number;
  /** The hearth-revoke-v1 signature (by the device or its identity); empty while active. */
  revocation: Uint8Array;
  /** Highest seq this device's envelopes hold in the room (0 for none): nothing after it is from before revocation. */
  lastSeq: number;
}

/** One of the authenticated identity's own devices, as DEVICE_LIST reports it. */
export interface OwnDevice {
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
  createdAt: number;
  /** Ms since the epoch of its last authentication (coarse). */
  lastSeen: number;
  revokedAt: number;
}

/** A signed membership log entry as the relay stored it, with the room's head seq when it was accepted. */
export interface LogEntry {
  /**
   * The room's highest envelope seq when the relay accepted this entry: envelopes of a removed member's devices up
   * to it were written while they belonged; anything later was not.
   */
  afterSeq: number;
  entry: Uint8Array;
}

export interface Delivery {
  seq: number;
  envelope: Uint8Array;
}

export type Frame =
  | { type: 'challenge'; nonce: Uint8Array }
  | { type: 'auth'; signPublic: Uint8Array; boxPublic: Uint8Array; signature: Uint8Array }
  | { type: 'ready' }
  | { type: 'subscribe'; room: Uint8Array; afterSeq: number }
  | { type: 'append'; envelope: Uint8Array }
  | { type: 'ack'; room: Uint8Array; id: Uint8Array; seq: number }
  | { type: 'deliver'; room: Uint8Array; deliveries: Delivery[] }
  | { type: 'caughtUp'; room: Uint8Array; headSeq: number }
  | { type: 'error'; code: ErrorCode; message: string; ref: Uint8Array }
  | { type: 'createRoom'; room: Uint8Array }
  | { type: 'roomCreated'; room: Uint8Array }
  | {
      type: 'putInvite';
      room: Uint8Array;
      inviteId: Uint8Array;
      claimPublic: Uint8Array;
      expiresAt: number;
      box: Uint8Array;
    }
  | { type: 'inviteStored'; inviteId: Uint8Array }
  | { type: 'getInvite'; inviteId: Uint8Array }
  | { type: 'invite'; inviteId: Uint8Array; room: Uint8Array; expiresAt: number; box: Uint8Array }
  | { type: 'claimInvite'; inviteId: Uint8Array; signature: Uint8Array }
  | { type: 'claimed'; inviteId: Uint8Array; room: Uint8Array }
  | { type: 'members'; room: Uint8Array; members: Member[] }
  | { type: 'blobPut'; room: Uint8Array; hash: Uint8Array; size: number; offset: number; chunk: Uint8Array }
  | { type: 'blobProgress'; hash: Uint8Array; received: number; complete: boolean }
  | { type: 'blobStatus'; room: Uint8Array; hash: Uint8Array }
  | { type: 'blobGet'; room: Uint8Array; hash: Uint8Array; offset: number }
  | { type: 'blobChunk'; hash: Uint8Array; size: number; offset: number; chunk: Uint8Array }
  | { type: 'putSnapshot'; room: Uint8Array; upToSeq: number; hash: Uint8Array }
  | { type: 'snapshotStored'; room: Uint8Array; upToSeq: number }
  | { type: 'snapshot'; room: Uint8Array; upToSeq: number; hash: Uint8Array; size: number }
  | { type: 'subscribeLatest'; room: Uint8Array }
  | { type: 'devices'; room: Uint8Array; devices: RoomDevice[] }
  | {
      type: 'linkDevice';
      signPublic: Uint8Array;
      boxPublic: Uint8Array;
      createdAt: number;
      certificate: Uint8Array;
      linkId: Uint8Array;
      grant: Uint8Array;
    }
  | { type: 'deviceLinked'; signPublic: Uint8Array }
  | { type: 'fetchGrant'; linkId: Uint8Array }
  | { type: 'grant'; linkId: Uint8Array; grant: Uint8Array }
  | { type: 'revokeDevice'; device: Uint8Array; at: number; signature: Uint8Array }
  | { type: 'deviceRevoked'; device: Uint8Array }
  | { type: 'listDevices' }
  | { type: 'deviceList'; devices: OwnDevice[] }
  | { type: 'pushSubscribe'; endpoint: string; p256dh: Uint8Array; auth: Uint8Array }
  | { type: 'pushSubscribed'; endpointId: Uint8Array }
  | { type: 'pushUnsubscribe'; endpoint: string }
  | { type: 'pushUnsubscribed'; endpointId: Uint8Array }
  | { type: 'membershipChange'; entry: Uint8Array }
  | { type: 'membershipAccepted'; room: Uint8Array; index: number }
  | { type: 'membershipLog'; room: Uint8Array; from: number; entries: LogEntry[] }
  | { type: 'putKeyBundle'; bundle: Uint8Array }
  | { type: 'keyBundleStored'; room: Uint8Array; epoch: number }
  | { type: 'keyBundle'; bundle: Uint8Array }
  | { type: 'roomList'; rooms: Uint8Array[] }
  | { type: 'listRooms' };

export type FrameType = Frame['type'];
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>;

/** Most members a MEMBERS frame may list, and most deliveries in one DELIVER frame. */
const MAX_LIST = 4096;

/** Encode a frame: version byte, varuint type, then the type's fields. */
export function encodeFrame(frame: Frame): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter().u8(PROTOCOL_VERSION).varUint(FRAME[frame.type]);
  switch (frame.type) {
    case 'challenge':
      return w.fixed(frame.nonce).finish();
    case 'auth':
      return w.fixed(frame.signPublic).fixed(frame.boxPublic).fixed(frame.signature).finish();
    case 'ready':
      return w.finish();
    case 'subscribe':
      return w.fixed(frame.room).varUint(frame.afterSeq).finish();
    case 'append':
      return w.varBytes(frame.envelope).finish();
    case 'ack':
      return w.fixed(frame.room).fixed(frame.id).varUint(frame.seq).finish();
    case 'deliver':
      w.fixed(frame.room).varUint(frame.deliveries.length);
      for (const d of frame.deliveries) w.varUint(d.seq).varBytes(d.envelope);
      return w.finish();
    case 'caughtUp':
      return w.fixed(frame.room).varUint(frame.headSeq).finish();
    case 'error':
      return w.varString(frame.code).varString(frame.message).varBytes(frame.ref).finish();
    case 'createRoom':
    case 'roomCreated':
      return w.fixed(frame.room).finish();
    case 'putInvite':
      return w
        .fixed(frame.room)
        .fixed(frame.inviteId)
        .fixed(frame.claimPublic)
        .varUint(frame.expiresAt)
        .varBytes(frame.box)
        .finish();
    case 'inviteStored':
    case 'getInvite':
      return w.fixed(frame.inviteId).finish();
    case 'invite':
      return w.fixed(frame.inviteId).fixed(frame.room).varUint(frame.expiresAt).varBytes(frame.box).finish();
    case 'claimInvite':
      return w.fixed(frame.inviteId).fixed(frame.signature).finish();
    case 'claimed':
      return w.fixed(frame.inviteId).fixed(frame.room).finish();
    case 'members':
      w.fixed(frame.room).varUint(frame.members.length);
      for (const m of frame.members) {
        w.fixed(m.signPublic).fixed(m.boxPublic).varBytes(m.proof).varBytes(m.inviteId);
      }
      return w.finish();
    case 'blobPut':
      return w
        .fixed(frame.room)
        .fixed(frame.hash)
        .varUint(frame.size)
        .varUint(frame.offset)
        .varBytes(frame.chunk)
        .finish();
    case 'blobProgress':
      return w
        .fixed(frame.hash)
        .varUint(frame.received)
        .u8(frame.complete ? 1 : 0)
        .finish();
    case 'blobStatus':
      return w.fixed(frame.room).fixed(frame.hash).finish();
    case 'blobGet':
      return w.fixed(frame.room).fixed(frame.hash).varUint(frame.offset).finish();
    case 'blobChunk':
      return w.fixed(frame.hash).varUint(frame.size).varUint(frame.offset).varBytes(frame.chunk).finish();
    case 'putSnapshot':
      return w.fixed(frame.room).varUint(frame.upToSeq).fixed(frame.hash).finish();
    case 'snapshotStored':
      return w.fixed(frame.room).varUint(frame.upToSeq).finish();
    case 'snapshot':
      return w.fixed(frame.room).varUint(frame.upToSeq).fixed(frame.hash).varUint(frame.size).finish();
    case 'subscribeLatest':
      return w.fixed(frame.room).finish();
    case 'devices':
      w.fixed(frame.room).varUint(frame.devices.length);
      for (const d of frame.devices) {
        w.fixed(d.identity).fixed(d.signPublic).fixed(d.boxPublic).varUint(d.createdAt);
        w.varBytes(d.certificate).varUint(d.revokedAt).varBytes(d.revocation).varUint(d.lastSeq);
      }
      return w.finish();
    case 'linkDevice':
      return w
        .fixed(frame.signPublic)
        .fixed(frame.boxPublic)
        .varUint(frame.createdAt)
        .fixed(frame.certificate)
        .fixed(frame.linkId)
        .varBytes(frame.grant)
        .finish();
    case 'deviceLinked':
      return w.fixed(frame.signPublic).finish();
    case 'fetchGrant':
      return w.fixed(frame.linkId).finish();
    case 'grant':
      return w.fixed(frame.linkId).varBytes(frame.grant).finish();
    case 'revokeDevice':
      return w.fixed(frame.device).varUint(frame.at).fixed(frame.signature).finish();
    case 'deviceRevoked':
      return w.fixed(frame.device).finish();
    case 'listDevices':
      return w.finish();
    case 'deviceList':
      w.varUint(frame.devices.length);
      for (const d of frame.devices) {
        w.fixed(d.signPublic)
          .fixed(d.boxPublic)
          .varUint(d.createdAt)
          .varUint(d.lastSeen)
          .varUint(d.revokedAt);
      }
      return w.finish();
    case 'pushSubscribe':
      return w.varString(frame.endpoint).fixed(frame.p256dh).fixed(frame.auth).finish();
    case 'pushSubscribed':
    case 'pushUnsubscribed':
      return w.fixed(frame.endpointId).finish();
    case 'pushUnsubscribe':
      return w.varString(frame.endpoint).finish();
    case 'membershipChange':
      return w.varBytes(frame.entry).finish();
    case 'membershipAccepted':
      return w.fixed(frame.room).varUint(frame.index).finish();
    case 'membershipLog':
      w.fixed(frame.room).varUint(frame.from).varUint(frame.entries.length);
      for (const e of frame.entries) w.varUint(e.afterSeq).varBytes(e.entry);
      return w.finish();
    case 'putKeyBundle':
    case 'keyBundle':
      return w.varBytes(frame.bundle).finish();
    case 'keyBundleStored':
      return w.fixed(frame.room).varUint(frame.epoch).finish();
    case 'roomList':
      w.varUint(frame.rooms.length);
      for (const room of frame.rooms) w.fixed(room);
      return w.finish();
    case 'listRooms':
      return w.finish();
  }
}

const TYPE_BY_NUMBER = new Map<number, FrameType>(
  Object.entries(FRAME).map(([name, n]) => [n, name as FrameType]),
);

/**
 * Decode untrusted frame bytes. Throws `ProtocolError` with the code to send back: `frame_too_large`,
 * `unknown_version`, `unknown_frame_type` or `malformed_frame` (truncated, trailing bytes, bad lengths).
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new ProtocolError('frame_too_large', `frame is over ${MAX_FRAME_BYTES} bytes`);
  }
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('unknown_version', `protocol version ${version} is not supported`);
  }
  const typeNumber = r.varUint();
  const type = TYPE_BY_NUMBER.get(typeNumber);
  if (!type) throw new ProtocolError('unknown_frame_type', `frame type ${typeNumber} is not known`);
  const frame = decodeBody(type, r);
  r.end();
  return frame;
}

function decodeBody(type: FrameType, r: ByteReader): Frame {
  switch (type) {
    case 'challenge':
      return { type, nonce: r.fixed(CHALLENGE_BYTES) };
    case 'auth':
      return {
        type,
        signPublic: r.fixed(PUBLIC_KEY_BYTES),
        boxPublic: r.fixed(PUBLIC_KEY_BYTES),
        signature: r.fixed(SIGNATURE_BYTES),
      };
    case 'ready':
      return { type };
    case 'subscribe':
      return { type, room: r.fixed(ROOM_ID_BYTES), afterSeq: r.varUint() };
    case 'append':
      return { type, envelope: readEnvelopeBytes(r) };
    case 'ack':
      return { type, room: r.fixed(ROOM_ID_BYTES), id: r.fixed(ENVELOPE_ID_BYTES), seq: r.varUint() };
    case 'deliver':
      return { type, room: r.fixed(ROOM_ID_BYTES), deliveries: readList(r, readDelivery) };
    case 'caughtUp':
      return { type, room: r.fixed(ROOM_ID_BYTES), headSeq: r.varUint() };
    case 'error':
      return readError(r);
    case 'createRoom':
    case 'roomCreated':
      return { type, room: r.fixed(ROOM_ID_BYTES) };
    case 'putInvite':
      return {
        type,
        room: r.fixed(ROOM_ID_BYTES),
        inviteId: r.fixed(INVITE_ID_BYTES),
        claimPublic: r.fixed(PUBLIC_KEY_BYTES),
        expiresAt: r.varUint(),
        box: readInviteBox(r),
      };
    case 'inviteStored':
    case 'getInvite':
      return { type, inviteId: r.fixed(INVITE_ID_BYTES) };
    case 'invite':
      return {
        type,
        inviteId: r.fixed(INVITE_ID_BYTES),
        room: r.fixed(ROOM_ID_BYTES),
        expiresAt: r.varUint(),
        box: readInviteBox(r),
      };
    case 'claimInvite':
      return { type, inviteId: r.fixed(INVITE_ID_BYTES), signature: r.fixed(SIGNATURE_BYTES) };
    case 'claimed':
      return { type, inviteId: r.fixed(INVITE_ID_BYTES), room: r.fixed(ROOM_ID_BYTES) };
    case 'members':
      return { type, room: r.fixed(ROOM_ID_BYTES), members: readList(r, readMember) };
    case 'blobPut':
      return {
        type,
        room: r.fixed(ROOM_ID_BYTES),
        hash: r.fixed(BLOB_HASH_BYTES),
        size: r.varUint(),
        offset: r.varUint(),
        chunk: r.varBytes(BLOB_CHUNK_BYTES),
      };
    case 'blobProgress':
      return { type, hash: r.fixed(BLOB_HASH_BYTES), received: r.varUint(), complete: readFlag(r) };
    case 'blobStatus':
      return { type, room: r.fixed(ROOM_ID_BYTES), hash: r.fixed(BLOB_HASH_BYTES) };
    case 'blobGet':
      return { type, room: r.fixed(ROOM_ID_BYTES), hash: r.fixed(BLOB_HASH_BYTES), offset: r.varUint() };
    case 'blobChunk':
      return {
        type,
        hash: r.fixed(BLOB_HASH_BYTES),
        size: r.varUint(),
        offset: r.varUint(),
        chunk: r.varBytes(BLOB_CHUNK_BYTES),
      };
    case 'putSnapshot':
      return { type, room: r.fixed(ROOM_ID_BYTES), upToSeq: r.varUint(), hash: r.fixed(BLOB_HASH_BYTES) };
    case 'snapshotStored':
      return { type, room: r.fixed(ROOM_ID_BYTES), upToSeq: r.varUint() };
    case 'snapshot':
      return {
        type,
        room: r.fixed(ROOM_ID_BYTES),
        upToSeq: r.varUint(),
        hash: r.fixed(BLOB_HASH_BYTES),
        size: r.varUint(),
      };
    case 'subscribeLatest':
      return { type, room: r.fixed(ROOM_ID_BYTES) };
    case 'devices':
      return { type, room: r.fixed(ROOM_ID_BYTES), devices: readList(r, readRoomDevice) };
    case 'linkDevice':
      return {
        type,
        signPublic: r.fixed(PUBLIC_KEY_BYTES),
        boxPublic: r.fixed(PUBLIC_KEY_BYTES),
        createdAt: r.varUint(),
        certificate: r.fixed(SIGNATURE_BYTES),
        linkId: r.fixed(LINK_ID_BYTES),
        grant: readGrant(r),
      };
    case 'deviceLinked':
      return { type, signPublic: r.fixed(PUBLIC_KEY_BYTES) };
    case 'fetchGrant':
      return { type, linkId: r.fixed(LINK_ID_BYTES) };
    case 'grant':
      return { type, linkId: r.fixed(LINK_ID_BYTES), grant: readGrant(r) };
    case 'revokeDevice':
      return {
        type,
        device: r.fixed(PUBLIC_KEY_BYTES),
        at: r.varUint(),
        signature: r.fixed(SIGNATURE_BYTES),
      };
    case 'deviceRevoked':
      return { type, device: r.fixed(PUBLIC_KEY_BYTES) };
    case 'listDevices':
      return { type };
    case 'deviceList':
      return { type, devices: readList(r, readOwnDevice) };
    case 'pushSubscribe':
      return {
        type,
        endpoint: r.varString(MAX_PUSH_ENDPOINT_CHARS),
        p256dh: r.fixed(PUSH_P256DH_BYTES),
        auth: r.fixed(PUSH_AUTH_BYTES),
      };
    case 'pushSubscribed':
    case 'pushUnsubscribed':
      return { type, endpointId: r.fixed(PUSH_ENDPOINT_ID_BYTES) };
    case 'pushUnsubscribe':
      return { type, endpoint: r.varString(MAX_PUSH_ENDPOINT_CHARS) };
    case 'membershipChange':
      return { type, entry: r.varBytes(MAX_MEMBERSHIP_ENTRY_BYTES) };
    case 'membershipAccepted':
      return { type, room: r.fixed(ROOM_ID_BYTES), index: r.varUint() };
    case 'membershipLog':
      return {
        type,
        room: r.fixed(ROOM_ID_BYTES),
        from: r.varUint(),
        entries: readList(r, readLogEntry, MAX_MEMBERSHIP_ENTRIES),
      };
    case 'putKeyBundle':
    case 'keyBundle':
      return { type, bundle: readKeyBundleBytes(r) };
    case 'keyBundleStored':
      return { type, room: r.fixed(ROOM_ID_BYTES), epoch: r.varUint() };
    case 'roomList':
      return { type, rooms: readList(r, (rr) => rr.fixed(ROOM_ID_BYTES), MAX_ROOM_LIST) };
    case 'listRooms':
      return { type };
  }
}

function readLogEntry(r: ByteReader): LogEntry {
  return { afterSeq: r.varUint(), entry: r.varBytes(MAX_MEMBERSHIP_ENTRY_BYTES) };
}

function readKeyBundleBytes(r: ByteReader): Uint8Array {
  const length = r.varUint();
  if (length > MAX_KEY_BUNDLE_BYTES) {
    throw new ProtocolError('key_bundle_invalid', `key bundle is over ${MAX_KEY_BUNDLE_BYTES} bytes`);
  }
  return r.fixed(length);
}

function readGrant(r: ByteReader): Uint8Array {
  const length = r.varUint();
  if (length > MAX_GRANT_BYTES) {
    throw new ProtocolError('grant_too_large', `grant is over ${MAX_GRANT_BYTES} bytes`);
  }
  return r.fixed(length);
}

function readRoomDevice(r: ByteReader): RoomDevice {
  return {
    identity: r.fixed(PUBLIC_KEY_BYTES),
    signPublic: r.fixed(PUBLIC_KEY_BYTES),
    boxPublic: r.fixed(PUBLIC_KEY_BYTES),
    createdAt: r.varUint(),
    certificate: r.varBytes(SIGNATURE_BYTES),
    revokedAt: r.varUint(),
    revocation: r.varBytes(SIGNATURE_BYTES),
    lastSeq: r.varUint(),
  };
}

function readOwnDevice(r: ByteReader): OwnDevice {
  return {
    signPublic: r.fixed(PUBLIC_KEY_BYTES),
    boxPublic: r.fixed(PUBLIC_KEY_BYTES),
    createdAt: r.varUint(),
    lastSeen: r.varUint(),
    revokedAt: r.varUint(),
  };
}

function readEnvelopeBytes(r: ByteReader): Uint8Array {
  const length = r.varUint();
  if (length > MAX_ENVELOPE_BYTES) {
    throw new ProtocolError('envelope_too_large', `envelope is over ${MAX_ENVELOPE_BYTES} bytes`);
  }
  return r.fixed(length);
}

function readInviteBox(r: ByteReader): Uint8Array {
  const length = r.varUint();
  if (length > MAX_INVITE_BOX_BYTES) {
    throw new ProtocolError('invite_too_large', `invite is over ${MAX_INVITE_BOX_BYTES} bytes`);
  }
  return r.fixed(length);
}

function readList<T>(r: ByteReader, item: (r: ByteReader) => T, max = MAX_LIST): T[] {
  const count = r.varUint();
  if (count > max) throw new ProtocolError('malformed_frame', `list longer than ${max}`);
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(item(r));
  return out;
}

function readDelivery(r: ByteReader): Delivery {
  return { seq: r.varUint(), envelope: readEnvelopeBytes(r) };
}

function readFlag(r: ByteReader): boolean {
  const value = r.u8();
  if (value > 1) throw new ProtocolError('malformed_frame', 'flag byte must be 0 or 1');
  return value === 1;
}

function readMember(r: ByteReader): Member {
  return {
    signPublic: r.fixed(PUBLIC_KEY_BYTES),
    boxPublic: r.fixed(PUBLIC_KEY_BYTES),
    proof: r.varBytes(SIGNATURE_BYTES),
    inviteId: r.varBytes(INVITE_ID_BYTES),
  };
}

function readError(r: ByteReader): Frame {
  const code = r.varString(MAX_ERROR_TEXT_CHARS);
  const message = r.varString(MAX_ERROR_TEXT_CHARS);
  const ref = r.varBytes(64);
  // An error code from a newer relay is still shown, as the generic one, rather than dropping the frame.
  return { type: 'error', code: isErrorCode(code) ? code : 'internal', message, ref };
}
