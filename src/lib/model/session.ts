import { INVITE_TTL_MS } from '../protocol/limits';
import { bytesEqual, toHex } from '../protocol/hex';
import type { HearthDb } from '../store/db';
import {
  decodeInviteFragment,
  encodeInviteFragment,
  inviteAddress,
  newInviteSecret,
  newRoom,
  openInvite,
  RecordStore,
  RelayConnection,
  RelayError,
  sealInvite,
  signClaim,
  toBase64Url,
  type ConnectionStatus,
  type Keyring,
} from '../sync';
import { Conversation } from './conversation';
import { Devices, type DeviceEvent } from './devices';
import { relayUrl } from './relayUrl';
import { Profile, RoomRecord } from './schemas';

/** How long an invite action waits for a connection that is coming up. */
const RELAY_WAIT_MS = 10_000;

/**
 * An unlocked device: its keys (in memory only), its profile, one relay connection, and every conversation it
 * belongs to, each loaded from the local store and synced in the background.
 */
export class Session {
  readonly connection: RelayConnection;
  readonly conversations = new Map<string, Conversation>();
  /** This account's devices: link, list, remove. */
  readonly devices: Devices;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly db: HearthDb,
    private readonly keyring: Keyring,
    private readonly records: RecordStore,
    readonly profile: Profile,
  ) {
    this.connection = new RelayConnection(relayUrl(), keyring);
    this.devices = new Devices(keyring, records, this.connection, profile, () => this.waitForRelay());
    this.connection.onRevoked(() => this.notify());
  }

  /** Load the profile and every room from the store, then start syncing. */
  static async open(db: HearthDb, keyring: Keyring): Promise<Session> {
    const records = new RecordStore(db, keyring.storageKey);
    const profile = await records.get('profile', Profile);
    if (!profile) throw new Error('This device has keys but no profile.');
    const session = new Session(db, keyring, records, profile);
    for (const record of await records.list('room', RoomRecord)) await session.openRoom(record);
    session.connection.start();
    return session;
  }

  get signPublicHex(): string {
    return toHex(this.keyring.signPublic);
  }

  get status(): ConnectionStatus {
    return this.connection.status;
  }

  /** True on a device linked to an account whose first device is elsewhere. */
  get linked(): boolean {
    return this.keyring.linked;
  }

  /** True once the relay said this device was removed from the account: nothing written here can be sent. */
  get removed(): boolean {
    return this.connection.revoked;
  }

  /** Audit hook: a device of this account was linked or removed from here. */
  onDeviceEvent(listener: (event: DeviceEvent) => void): () => void {
    return this.devices.onDeviceEvent(listener);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget the keys and stop syncing; the store stays encrypted on the device. */
  close(): void {
    this.connection.stop();
    for (const conversation of this.conversations.values()) conversation.close();
    this.conversations.clear();
    this.listeners.clear();
  }

  /**
   * Create a conversation and a one-time invite for the person it is for. Needs the relay (to file the sealed
   * invite); throws `RelayError('offline')` without it.
   */
  async createInvite(label: string): Promise<{ link: string; room: string }> {
    // An invite is signed with the identity's key, which only the first device holds.
    if (this.keyring.linked) throw new RelayError('not_identity', 'Invites are made on the first device.');
    await this.waitForRelay();
    const { room, roomKey } = newRoom();
    await this.connection.request(
      { type: 'createRoom', room },
      'roomCreated',
      (f) => bytesEqual(f.room, room),
      room,
    );
    const secret = newInviteSecret();
    const expiresAt = Date.now() + INVITE_TTL_MS;
    const box = sealInvite(
      secret,
      {
        v: 1,
        room: toHex(room),
        epoch: 0,
        roomKey: toBase64Url(roomKey),
        inviter: {
          signPublic: toBase64Url(this.keyring.signPublic),
          boxPublic: toBase64Url(this.keyring.boxPublic),
          name: this.profile.name,
          replyPromise: this.profile.replyPromise,
        },
        expiresAt,
      },
      this.keyring,
    );
    const { inviteId, claimPublic } = inviteAddress(secret);
    await this.connection.request(
      { type: 'putInvite', room, inviteId, claimPublic, expiresAt, box },
      'inviteStored',
      (f) => bytesEqual(f.inviteId, inviteId),
      inviteId,
    );
    const link = `${window.location.origin}/invite#${encodeInviteFragment({ secret, inviter: this.keyring.signPublic })}`;
    const record: RoomRecord = {
      room: toHex(room),
      epoch: 0,
      keys: { 0: toBase64Url(roomKey) },
      creator: toBase64Url(this.keyring.signPublic),
      inviteSecrets: [toBase64Url(secret)],
      createdAt: Date.now(),
      label: label.trim(),
      inviteLink: link,
    };
    await this.records.put(`room:${record.room}`, 'room', record);
    await this.openRoom(record);
    return { link, room: record.room };
  }

  /**
   * Join the conversation an invite link leads to: fetch the sealed invite, check the inviter's signature against
   * the key in the link, claim it with proof of the link, and keep the room key. Idempotent for a used link.
   */
  async acceptInvite(fragment: string): Promise<string> {
    const link = decodeInviteFragment(fragment);
    await this.waitForRelay();
    const { inviteId } = inviteAddress(link.secret);
    const fetched = await this.connection.request(
      { type: 'getInvite', inviteId },
      'invite',
      (f) => bytesEqual(f.inviteId, inviteId),
      inviteId,
    );
    const payload = openInvite(link, fetched.box);
    const existing = this.conversations.get(payload.room);
    const { signature } = signClaim(link.secret, this.keyring.identity);
    await this.connection.request(
      { type: 'claimInvite', inviteId, signature },
      'claimed',
      (f) => bytesEqual(f.inviteId, inviteId),
      inviteId,
    );
    if (existing) return payload.room;
    const record: RoomRecord = {
      room: payload.room,
      epoch: payload.epoch,
      keys: { [payload.epoch]: payload.roomKey },
      creator: payload.inviter.signPublic,
      inviteSecrets: [toBase64Url(link.secret)],
      createdAt: Date.now(),
      label: payload.inviter.name,
      inviteLink: '',
      inviter: { name: payload.inviter.name, replyPromise: payload.inviter.replyPromise },
    };
    // openInvite has checked the inviter's signature against the key in the link, and the payload's shape.
    await this.records.put(`room:${record.room}`, 'room', record);
    await this.openRoom(record);
    return record.room;
  }

  /** Conversations, most recent activity first. */
  list(): Conversation[] {
    const lastActivity = (c: Conversation) => c.messages().at(-1)?.at ?? c.record.createdAt;
    return [...this.conversations.values()].sort((a, b) => lastActivity(b) - lastActivity(a));
  }

  /** Give a connection that is coming up a moment before a request that needs it reports "offline". */
  private async waitForRelay(): Promise<void> {
    if (this.connection.status === 'online') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RelayError('offline', 'No connection to the relay.')),
        RELAY_WAIT_MS,
      );
    });
    try {
      await Promise.race([this.connection.whenReady(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async openRoom(record: RoomRecord): Promise<void> {
    if (this.conversations.has(record.room)) return;
    const conversation = new Conversation(this.db, this.connection, this.keyring, record, this.profile);
    this.conversations.set(record.room, conversation);
    conversation.onChange(() => this.notify());
    await conversation.open();
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
