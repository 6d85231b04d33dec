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
import { Notifications } from './notifications';
import { Profile, RoomRecord } from './schemas';

/** How long an invite action waits for a connection that is coming up. */
const RELAY_WAIT_MS = 10_000;

/** Where the relay's socket lives: the same origin that served the app. */
function relayUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/sync`;
}

/**
 * An unlocked device: its keys (in memory only), its profile, one relay connection, and every conversation it
 * belongs to, each loaded from the local store and synced in the background.
 */
export class Session {
  readonly connection: RelayConnection;
  readonly conversations = new Map<string, Conversation>();
  /** Content-free push notifications for this device, and the person's choice about them. */
  readonly notifications: Notifications;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly db: HearthDb,
    private readonly keyring: Keyring,
    private readonly records: RecordStore,
    readonly profile: Profile,
  ) {
    this.connection = new RelayConnection(relayUrl(), keyring);
    this.notifications = new Notifications(records, this.connection, () => this.waitForRelay());
  }

  /** Load the profile and every room from the store, then start syncing. */
  static async open(db: HearthDb, keyring: Keyring): Promise<Session> {
    const records = new RecordStore(db, keyring.storageKey);
    const profile = await records.get('profile', Profile);
    if (!profile) throw new Error('This device has keys but no profile.');
    const session = new Session(db, keyring, records, profile);
    for (const record of await records.list('room', RoomRecord)) await session.openRoom(record);
    await session.notifications.load();
    session.connection.start();
    void session.notifications.resync();
    return session;
  }

  get signPublicHex(): string {
    return toHex(this.keyring.signPublic);
  }

  get status(): ConnectionStatus {
    return this.connection.status;
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
    const { signature } = signClaim(link.secret, this.keyring);
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
