import type { FrameOf, FrameType } from '$lib/protocol/frames';
import {
  BLOB_HASH_BYTES,
  CHALLENGE_BYTES,
  ENVELOPE_ID_BYTES,
  INVITE_ID_BYTES,
  LINK_ID_BYTES,
  PUBLIC_KEY_BYTES,
  PUSH_AUTH_BYTES,
  PUSH_ENDPOINT_ID_BYTES,
  PUSH_P256DH_BYTES,
  ROOM_ID_BYTES,
  SIGNATURE_BYTES,
} from '$lib/protocol/limits';
import { randomBytesFrom, seededRandom } from './prng';

const random = seededRandom(0x4ea27);
const bytes = (length: number) => randomBytesFrom(random, length);

/**
 * One frame of every type, with multi-byte varuints, non-empty lists and non-ASCII text so that truncation and
 * mutation land inside every kind of field. The mapped type makes a new frame type without a sample a type error.
 */
export const SAMPLE_FRAMES: { [T in FrameType]: FrameOf<T> } = {
  challenge: { type: 'challenge', nonce: bytes(CHALLENGE_BYTES) },
  auth: {
    type: 'auth',
    signPublic: bytes(PUBLIC_KEY_BYTES),
    boxPublic: bytes(PUBLIC_KEY_BYTES),
    signature: bytes(SIGNATURE_BYTES),
  },
  ready: { type: 'ready' },
  subscribe: { type: 'subscribe', room: bytes(ROOM_ID_BYTES), afterSeq: 2 ** 40 + 7 },
  append: { type: 'append', envelope: bytes(300) },
  ack: { type: 'ack', room: bytes(ROOM_ID_BYTES), id: bytes(ENVELOPE_ID_BYTES), seq: 300 },
  deliver: {
    type: 'deliver',
    room: bytes(ROOM_ID_BYTES),
    deliveries: [
      { seq: 1, envelope: bytes(140) },
      { seq: 16384, envelope: bytes(2) },
    ],
  },
  caughtUp: { type: 'caughtUp', room: bytes(ROOM_ID_BYTES), headSeq: Number.MAX_SAFE_INTEGER },
  error: {
    type: 'error',
    code: 'clock_out_of_order',
    message: 'Envelope refusé: l’horloge doit être 3 ✓',
    ref: bytes(ENVELOPE_ID_BYTES),
  },
  createRoom: { type: 'createRoom', room: bytes(ROOM_ID_BYTES) },
  roomCreated: { type: 'roomCreated', room: bytes(ROOM_ID_BYTES) },
  putInvite: {
    type: 'putInvite',
    room: bytes(ROOM_ID_BYTES),
    inviteId: bytes(INVITE_ID_BYTES),
    claimPublic: bytes(PUBLIC_KEY_BYTES),
    expiresAt: 1_900_000_000_000,
    box: bytes(200),
  },
  inviteStored: { type: 'inviteStored', inviteId: bytes(INVITE_ID_BYTES) },
  getInvite: { type: 'getInvite', inviteId: bytes(INVITE_ID_BYTES) },
  invite: {
    type: 'invite',
    inviteId: bytes(INVITE_ID_BYTES),
    room: bytes(ROOM_ID_BYTES),
    expiresAt: 1_900_000_000_000,
    box: bytes(130),
  },
  claimInvite: { type: 'claimInvite', inviteId: bytes(INVITE_ID_BYTES), signature: bytes(SIGNATURE_BYTES) },
  claimed: { type: 'claimed', inviteId: bytes(INVITE_ID_BYTES), room: bytes(ROOM_ID_BYTES) },
  members: {
    type: 'members',
    room: bytes(ROOM_ID_BYTES),
    members: [
      // The creator: no proof, no invite.
      {
        signPublic: bytes(PUBLIC_KEY_BYTES),
        boxPublic: bytes(PUBLIC_KEY_BYTES),
        proof: new Uint8Array(),
        inviteId: new Uint8Array(),
      },
      {
        signPublic: bytes(PUBLIC_KEY_BYTES),
        boxPublic: bytes(PUBLIC_KEY_BYTES),
        proof: bytes(SIGNATURE_BYTES),
        inviteId: bytes(INVITE_ID_BYTES),
      },
    ],
  },
  blobPut: {
    type: 'blobPut',
    room: bytes(ROOM_ID_BYTES),
    hash: bytes(BLOB_HASH_BYTES),
    size: 1_000_000,
    offset: 262_144,
    chunk: bytes(300),
  },
  blobProgress: { type: 'blobProgress', hash: bytes(BLOB_HASH_BYTES), received: 524_288, complete: false },
  blobStatus: { type: 'blobStatus', room: bytes(ROOM_ID_BYTES), hash: bytes(BLOB_HASH_BYTES) },
  blobGet: { type: 'blobGet', room: bytes(ROOM_ID_BYTES), hash: bytes(BLOB_HASH_BYTES), offset: 0 },
  blobChunk: { type: 'blobChunk', hash: bytes(BLOB_HASH_BYTES), size: 300, offset: 0, chunk: bytes(300) },
  putSnapshot: {
    type: 'putSnapshot',
    room: bytes(ROOM_ID_BYTES),
    upToSeq: 10_000,
    hash: bytes(BLOB_HASH_BYTES),
  },
  snapshotStored: { type: 'snapshotStored', room: bytes(ROOM_ID_BYTES), upToSeq: 10_000 },
  snapshot: {
    type: 'snapshot',
    room: bytes(ROOM_ID_BYTES),
    upToSeq: 10_000,
    hash: bytes(BLOB_HASH_BYTES),
    size: 123_456,
  },
  subscribeLatest: { type: 'subscribeLatest', room: bytes(ROOM_ID_BYTES) },
  devices: {
    type: 'devices',
    room: bytes(ROOM_ID_BYTES),
    devices: [
      // A linked device, active.
      {
        identity: bytes(PUBLIC_KEY_BYTES),
        signPublic: bytes(PUBLIC_KEY_BYTES),
        boxPublic: bytes(PUBLIC_KEY_BYTES),
        createdAt: 1_700_000_000_000,
        certificate: bytes(SIGNATURE_BYTES),
        revokedAt: 0,
        revocation: new Uint8Array(),
        lastSeq: 12,
      },
      // A first device that revoked itself: no certificate.
      {
        identity: bytes(PUBLIC_KEY_BYTES),
        signPublic: bytes(PUBLIC_KEY_BYTES),
        boxPublic: bytes(PUBLIC_KEY_BYTES),
        createdAt: 0,
        certificate: new Uint8Array(),
        revokedAt: 1_700_000_000_500,
        revocation: bytes(SIGNATURE_BYTES),
        lastSeq: 0,
      },
    ],
  },
  linkDevice: {
    type: 'linkDevice',
    signPublic: bytes(PUBLIC_KEY_BYTES),
    boxPublic: bytes(PUBLIC_KEY_BYTES),
    createdAt: 1_700_000_000_000,
    certificate: bytes(SIGNATURE_BYTES),
    linkId: bytes(LINK_ID_BYTES),
    grant: bytes(500),
  },
  deviceLinked: { type: 'deviceLinked', signPublic: bytes(PUBLIC_KEY_BYTES) },
  fetchGrant: { type: 'fetchGrant', linkId: bytes(LINK_ID_BYTES) },
  grant: { type: 'grant', linkId: bytes(LINK_ID_BYTES), grant: bytes(500) },
  revokeDevice: {
    type: 'revokeDevice',
    device: bytes(PUBLIC_KEY_BYTES),
    at: 1_700_000_000_000,
    signature: bytes(SIGNATURE_BYTES),
  },
  deviceRevoked: { type: 'deviceRevoked', device: bytes(PUBLIC_KEY_BYTES) },
  listDevices: { type: 'listDevices' },
  deviceList: {
    type: 'deviceList',
    devices: [
      {
        signPublic: bytes(PUBLIC_KEY_BYTES),
        boxPublic: bytes(PUBLIC_KEY_BYTES),
        createdAt: 1_700_000_000_000,
        lastSeen: 1_700_000_100_000,
        revokedAt: 0,
      },
    ],
  },
  pushSubscribe: {
    type: 'pushSubscribe',
    endpoint: 'https://push.example/wpush/v2/gAAAAABé-ü',
    p256dh: bytes(PUSH_P256DH_BYTES),
    auth: bytes(PUSH_AUTH_BYTES),
  },
  pushSubscribed: { type: 'pushSubscribed', endpointId: bytes(PUSH_ENDPOINT_ID_BYTES) },
  pushUnsubscribe: { type: 'pushUnsubscribe', endpoint: 'https://push.example/wpush/v2/gAAAAAB' },
  pushUnsubscribed: { type: 'pushUnsubscribed', endpointId: bytes(PUSH_ENDPOINT_ID_BYTES) },
  membershipChange: { type: 'membershipChange', entry: bytes(230) },
  membershipAccepted: { type: 'membershipAccepted', room: bytes(ROOM_ID_BYTES), index: 300 },
  membershipLog: {
    type: 'membershipLog',
    room: bytes(ROOM_ID_BYTES),
    from: 200,
    entries: [
      { afterSeq: 70_000, entry: bytes(230) },
      { afterSeq: 0, entry: bytes(231) },
    ],
  },
  putKeyBundle: { type: 'putKeyBundle', bundle: bytes(400) },
  keyBundleStored: { type: 'keyBundleStored', room: bytes(ROOM_ID_BYTES), epoch: 129 },
  keyBundle: { type: 'keyBundle', bundle: bytes(400) },
  roomList: { type: 'roomList', rooms: [bytes(ROOM_ID_BYTES), bytes(ROOM_ID_BYTES)] },
  listRooms: { type: 'listRooms' },
};
