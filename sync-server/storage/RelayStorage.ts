import type { ErrorCode } from '../../src/lib/protocol/errors';
import type { Delivery, LogEntry, Member, OwnDevice, RoomDevice } from '../../src/lib/protocol/frames';
import type { MembershipKind } from '../../src/lib/protocol/membership';

/**
 * Everything the relay keeps, behind one Promise-returning interface: SQLite now, PostgreSQL later. Byte fields are
 * opaque to storage; the relay has already decoded and verified what it hands over.
 */
export interface RelayStorage {
  /** Resolves when the database answers a trivial query (for /healthz). */
  ping(): Promise<void>;
  /** Record a device that proved its signing key; refreshes its box key and last-seen time. */
  upsertDevice(device: DeviceKeys, now: number): Promise<void>;
  /** Create `room` with `creator` as its first member, unless it exists. */
  createRoom(room: Uint8Array, creator: DeviceKeys, now: number): Promise<CreateRoomOutcome>;
  isMember(room: Uint8Array, signPublic: Uint8Array): Promise<boolean>;
  /** How many rooms the device is a member of (for MAX_ROOMS_PER_DEVICE). */
  countRooms(signPublic: Uint8Array): Promise<number>;
  /** Members in the order they joined. */
  listMembers(room: Uint8Array): Promise<Member[]>;
  /**
   * Store a batch of verified appends in ONE transaction, in order, each judged by `judgeAppend` against what is
   * stored plus the items before it in the batch. Resolves only after the transaction is durable.
   */
  commitAppends(items: AppendItem[], now: number): Promise<AppendOutcome[]>;
  /** Envelopes of `room` with seq > afterSeq, in seq order, at most one page; plus the room's head seq. */
  readAfter(room: Uint8Array, afterSeq: number, page: PageLimits): Promise<Page>;
  /** Store an invite unless its id exists; an identical retry by the same creator counts as stored. */
  putInvite(invite: NewInvite, now: number): Promise<PutInviteOutcome>;
  getInvite(inviteId: Uint8Array): Promise<StoredInvite | undefined>;
  /** In one transaction: mark the invite used by `device` and add it to the invite's room. */
  claimInvite(
    inviteId: Uint8Array,
    device: DeviceKeys,
    proof: Uint8Array,
    now: number,
  ): Promise<ClaimOutcome>;
  /** What a signing key is at AUTH: the identity it acts for and whether it is revoked; undefined if never seen. */
  deviceStanding(signPublic: Uint8Array): Promise<DeviceStanding | undefined>;
  /**
   * In one transaction: record a linked device with its certificate (checked by the caller) and file its sealed
   * grant under `linkId`. Refuses a key that is in use: an identity, linked elsewhere, revoked, or in a room.
   */
  linkDevice(link: NewLinkedDevice, now: number): Promise<LinkOutcome>;
  /** The sealed grant filed under `linkId`, while unexpired. */
  getGrant(linkId: Uint8Array, now: number): Promise<Uint8Array | undefined>;
  /**
   * Mark `device` revoked (the first revocation wins; later ones change nothing) and drop its pending grants.
   * Records an unknown key too, so it can never authenticate later. Resolves to the identity it acted for.
   */
  revokeDevice(device: Uint8Array, at: number, signature: Uint8Array, now: number): Promise<Uint8Array>;
  /** The identity's own key and every device linked to it, oldest first. */
  listOwnDevices(identity: Uint8Array): Promise<OwnDevice[]>;
  /** The linked devices of the room's member identities, and any revoked member identity key. */
  listRoomDevices(room: Uint8Array): Promise<RoomDevice[]>;
  /** Every room the identity is a member of. */
  listRoomsOf(identity: Uint8Array): Promise<Uint8Array[]>;
  /** The room's membership log in order, each entry with its afterSeq; empty for a room without one. */
  readMembershipLog(room: Uint8Array): Promise<LogEntry[]>;
  /**
   * The member that created the room (admitted without an invite) while its log is empty; undefined when the room
   * does not exist. Only that identity may start the log.
   */
  roomCreator(room: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * In one transaction: if the log still holds exactly `change.index` entries, store the entry with the room's
   * head seq as its afterSeq, add or drop the subject as a member, and record the room's manager and epoch. The
   * caller has judged the entry against the log it read; `stale` means the log grew since.
   */
  appendMembership(change: MembershipWrite, now: number): Promise<AppendMembershipOutcome>;
  /**
   * Keep a room's key bundle for `epoch` (checked by the caller) if the room has a log, the epoch is the room's
   * current one, and no other bundle is kept for it. A byte-identical retry counts as stored.
   */
  putKeyBundle(bundle: KeyBundleWrite, now: number): Promise<PutKeyBundleOutcome>;
  /** The room's key bundle of its highest epoch that has one. */
  latestKeyBundle(room: Uint8Array): Promise<{ epoch: number; bundle: Uint8Array } | undefined>;
  /**
   * Keep a device's push subscription. An endpoint belongs to one browser, so registering it moves it to this
   * device; the device's subscriptions beyond `maxPerDevice` (the oldest first) are dropped in the same transaction.
   */
  putPushSubscription(subscription: PushSubscriptionRecord, maxPerDevice: number, now: number): Promise<void>;
  /** Forget this device's subscription with `endpoint`; false if it had none. */
  deletePushSubscription(device: Uint8Array, endpoint: string): Promise<boolean>;
  /** Forget an endpoint the push service no longer accepts (404/410), whichever device registered it. */
  deletePushEndpoint(endpoint: string): Promise<void>;
  /** The push subscriptions of every member of `room`. */
  listPushTargets(room: Uint8Array): Promise<PushSubscriptionRecord[]>;
  /**
   * The relay's VAPID key pair: `candidate` is kept if none is stored yet, else the stored pair is returned, so
   * relays starting together over one database agree on one pair.
   */
  claimVapidKeys(candidate: VapidKeyPair): Promise<VapidKeyPair>;
  close(): Promise<void>;
}

export interface MembershipWrite {
  room: Uint8Array;
  index: number;
  entry: Uint8Array;
  kind: MembershipKind;
  subject: DeviceKeys;
  /** The room's manager and key epoch once this change applies. */
  manager: Uint8Array;
  epoch: number;
}

export type AppendMembershipOutcome = { kind: 'appended'; afterSeq: number } | { kind: 'stale' };

export interface KeyBundleWrite {
  room: Uint8Array;
  epoch: number;
  signer: Uint8Array;
  bundle: Uint8Array;
}

/** `no_log`: the room has no membership log; `stale`/`future`: the epoch is below/above the room's current one. */
export type PutKeyBundleOutcome = 'stored' | 'conflict' | 'stale' | 'future' | 'no_log';

export interface DeviceStanding {
  /** The box key recorded for this signing key (a linked device's is the certified one). */
  boxPublic: Uint8Array;
  /** The identity this key acts for: itself, unless it is a linked device. */
  identity: DeviceKeys;
  revokedAt: number | null;
}

export interface NewLinkedDevice {
  identity: DeviceKeys;
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
  createdAt: number;
  certificate: Uint8Array;
  linkId: Uint8Array;
  grant: Uint8Array;
  grantExpiresAt: number;
}

export type LinkOutcome = 'linked' | 'exists' | 'too_many';

/** A browser's PushSubscription as a device registered it (RFC 8030 endpoint, RFC 8291 keys). */
export interface PushSubscriptionRecord {
  /** The device's signing key. */
  device: Uint8Array;
  /** The push service URL; its path is a capability, so it is never logged. */
  endpoint: string;
  /** The browser's uncompressed P-256 public key (65 bytes). */
  p256dh: Uint8Array;
  /** The browser's 16-byte auth secret. */
  auth: Uint8Array;
}

/** VAPID (RFC 8292) keys as web-push writes them: URL-safe base64 of the raw P-256 public point and private scalar. */
export interface VapidKeyPair {
  publicKey: string;
  privateKey: string;
}

export interface DeviceKeys {
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
}

export type CreateRoomOutcome = 'created' | 'already_member' | 'exists';

/** One decoded, signature-checked envelope waiting for its seq. */
export interface AppendItem {
  room: Uint8Array;
  /** The identity the author device acts for: it must still be a member when the batch commits. */
  identity: Uint8Array;
  id: Uint8Array;
  author: Uint8Array;
  clock: number;
  bytes: Uint8Array;
}

export type AppendOutcome =
  | { kind: 'stored'; seq: number }
  | { kind: 'duplicate'; seq: number }
  | { kind: 'rejected'; code: ErrorCode; message: string };

export interface PageLimits {
  maxEnvelopes: number;
  /** Sum of envelope bytes in a page; a page always holds at least one envelope if any is there. */
  maxBytes: number;
}

export interface Page {
  deliveries: Delivery[];
  headSeq: number;
}

export interface NewInvite {
  inviteId: Uint8Array;
  room: Uint8Array;
  claimPublic: Uint8Array;
  expiresAt: number;
  box: Uint8Array;
  createdBy: Uint8Array;
}

export interface StoredInvite extends NewInvite {
  /** The signing key of the device that claimed it, if any. */
  usedBy: Uint8Array | null;
}

export type PutInviteOutcome = 'stored' | 'duplicate';

export type ClaimOutcome = { kind: 'claimed'; room: Uint8Array } | { kind: 'used' } | { kind: 'not_found' };
