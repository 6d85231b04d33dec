import { INVITE_TTL_MS, MAX_NAME_CHARS, MAX_TOPIC_CHARS } from '../protocol/limits';
import type { FrameOf } from '../protocol/frames';
import { bytesEqual, fromHex, toHex } from '../protocol/hex';
import type { HearthDb } from '../store/db';
import {
  decodeInviteFragment,
  encodeInviteFragment,
  inviteAddress,
  InviteError,
  newInviteSecret,
  newRoom,
  openInvite,
  RecordStore,
  RelayConnection,
  RelayError,
  rewrapVault,
  sealInvite,
  signClaim,
  signRevocation,
  writeBackup,
  type BackupProgress,
  type BackupProtection,
  fromBase64Url,
  toBase64Url,
  type ConnectionStatus,
  type Keyring,
} from '../sync';
import { Contacts } from './contacts';
import { Conversation, MembershipError, type ContactLookup } from './conversation';
import { ConversationIndex } from './conversationIndex';
import { Devices, type DeviceEvent } from './devices';
import { Drafts } from './drafts';
import { inbox, inboxPeople, type InboxItem, type InboxPerson, type InboxQuery } from './inbox';
import { relayUrl } from './relayUrl';
import { formatRecoveryKey } from './recoveryKey';
import { Notifications } from './notifications';
import type { Revocation } from './revocation';
import { OfficeHoursError } from './officeHoursForm';
import { describePromise, replyDueBy } from './officeHours';
import { OfficeHours, Profile, RoomRecord, Settings, type Contact } from './schemas';
import { Search } from './search';
import { Templates } from './templates';

/** The reply promise of someone who has not set office hours: within a day. */
const DEFAULT_REPLY_WITHIN_MS = 24 * 60 * 60 * 1000;

/** How long an invite action waits for a connection that is coming up. */
const RELAY_WAIT_MS = 10_000;

/**
 * An unlocked device: its keys (in memory only), its profile, one relay connection, and every conversation it
 * belongs to, each loaded from the local store behind the conversations list and synced in the background.
 */
export class Session {
  readonly connection: RelayConnection;
  /** The conversations loaded so far (all of them soon after unlock; see `index`). */
  readonly conversations = new Map<string, Conversation>();
  /** Every conversation on this device, loaded or not: the list, and loading them in the background. */
  readonly index: ConversationIndex;
  /** This account's devices: link, list, remove. */
  readonly devices: Devices;
  /** Content-free push notifications for this device, and the person's choice about them. */
  readonly notifications: Notifications;
  /** The reply being written in each conversation, sealed on the device across reloads and locks. */
  readonly drafts: Drafts;
  /** Replies this person saved to insert again, sealed on the device. */
  readonly templates: Templates;
  /** Full-text search over every conversation on this device, sealed at rest. */
  readonly search: Search;
  private readonly listeners = new Set<() => void>();
  /** The contacts this person keeps (everyone but their practice's professionals, who come from the practice). */
  private readonly contactBook: Contacts;
  /** Every contact, kept or from a practice: what conversations check additions and names against. */
  private readonly contactLookup: ContactLookup = { get: (key) => this.contact(key) };
  /** Rooms the relay lists, opened one list at a time so a room is never opened twice. */
  private roomLists: Promise<void> = Promise.resolve();
  private closed = false;
  /** The profile changed in this session: rooms that load from now on rewrite this person's introduction. */
  private introductionsChanged = false;

  private constructor(
    private readonly db: HearthDb,
    private readonly keyring: Keyring,
    private readonly records: RecordStore,
    private currentProfile: Profile,
    private currentSettings: Settings,
  ) {
    this.connection = new RelayConnection(relayUrl(), keyring);
    this.devices = new Devices(
      keyring,
      records,
      this.connection,
      () => this.profile,
      () => this.waitForRelay(),
    );
    this.connection.onRevoked(() => this.notify());
    this.notifications = new Notifications(records, this.connection, () => this.waitForRelay());
    this.contactBook = new Contacts(records);
    this.drafts = new Drafts(records, () => this.notify());
    this.templates = new Templates(records, () => this.notify());
    // A person added to a conversation learns of it from the relay's room list, with no invite link.
    this.connection.onReady(() => void this.connection.send({ type: 'listRooms' }));
    this.connection.onFrame((frame) => {
      if (frame.type === 'roomList') this.roomLists = this.roomLists.then(() => this.openListedRooms(frame));
    });
    this.index = new ConversationIndex(
      records,
      toHex(keyring.identity.signPublic),
      (record) => this.loadRoom(record),
      () => this.notify(),
    );
    this.search = new Search(records, this, () => this.notify());
  }

  /** Load the profile and the conversations list from the store, then start syncing; rooms load behind the list. */
  static async open(db: HearthDb, keyring: Keyring): Promise<Session> {
    const records = new RecordStore(db, keyring.storageKey);
    // Read side by side: each round trip to IndexedDB here is time before the list shows.
    const [profile, settings, rooms] = await Promise.all([
      records.get('profile', Profile),
      records.get('settings', Settings),
      records.list('room', RoomRecord),
    ]);
    if (!profile) throw new Error('This device has keys but no profile.');
    const session = new Session(db, keyring, records, profile, settings ?? Settings.parse({}));
    await Promise.all([
      session.contactBook.load(),
      session.index.start(rooms),
      session.notifications.load(),
      session.drafts.load(),
      session.templates.load(),
    ]);
    session.devices.onDeviceEvent((event) => void session.auditDeviceEvent(event));
    session.connection.start();
    session.search.start();
    void session.notifications.resync();
    return session;
  }

  get signPublicHex(): string {
    return toHex(this.keyring.signPublic);
  }

  get settings(): Settings {
    return this.currentSettings;
  }

  /** This person as they described themselves (sealed on the device). */
  get profile(): Profile {
    return this.currentProfile;
  }

  /**
   * Publish a therapist's office hours: the profile is sealed with them (its reply promise worded from them), then
   * this person's introduction in every conversation is rewritten to carry them, each queued like a message (so it
   * works offline). Rooms still loading behind the list are brought up to date as they load. Throws
   * `OfficeHoursError` for hours that do not parse, or for a client's account, before anything changes.
   */
  async saveOfficeHours(hours: OfficeHours): Promise<void> {
    if (this.profile.role !== 'therapist') {
      throw new OfficeHoursError('not_a_professional', 'Office hours are for professionals’ accounts.');
    }
    const parsed = OfficeHours.safeParse(hours);
    if (!parsed.success) throw new OfficeHoursError('invalid', 'These office hours are not complete.');
    const next = Profile.parse({
      ...this.profile,
      hours: parsed.data,
      replyPromise: describePromise(parsed.data),
    });
    await this.publishProfile(next);
  }

  /**
   * Take a therapist's office hours down: the profile is sealed without them (its reply promise stays as last worded,
   * "within 1 working day"), and this person's introduction in every conversation is rewritten without them, as
   * `saveOfficeHours` does, so clients see the plain reply promise again. Nothing happens when none are set.
   */
  async clearOfficeHours(): Promise<void> {
    if (this.profile.role !== 'therapist') {
      throw new OfficeHoursError('not_a_professional', 'Office hours are for professionals’ accounts.');
    }
    if (!this.profile.hours) return;
    const { hours: _cleared, ...rest } = this.profile;
    await this.publishProfile(Profile.parse(rest));
  }

  /** Seal a profile whose office hours changed, then rewrite this person's introduction in every conversation. */
  private async publishProfile(next: Profile): Promise<void> {
    await this.records.put('profile', 'profile', next);
    this.currentProfile = next;
    this.introductionsChanged = true;
    this.notify();
    const results = await Promise.allSettled(
      [...this.conversations.values()].map((c) => c.refreshIntroduction(next)),
    );
    // The hours are saved; a conversation whose introduction could not be queued keeps the earlier ones until the
    // next save (its document is unchanged, so nothing is half written).
    for (const result of results) {
      if (result.status === 'rejected')
        console.warn('hearth: could not publish office hours in a conversation', result.reason);
    }
  }

  async saveSettings(next: Settings): Promise<void> {
    const parsed = Settings.parse(next);
    await this.records.put('settings', 'settings', parsed);
    this.currentSettings = parsed;
    this.notify();
  }

  /**
   * Re-wrap this device's keys under a new passphrase. The current one is checked first (a wrong one throws
   * `WrongPassphraseError` and changes nothing).
   */
  async changePassphrase(current: string, next: string): Promise<void> {
    await rewrapVault(this.db, current, next);
  }

  /**
   * A recovery backup of this device's keys and whole encrypted store. With `recoveryKey` protection the key to
   * show the person (once) comes back with the file.
   */
  async createBackup(
    protection: BackupProtection,
    onProgress?: (progress: BackupProgress) => void,
  ): Promise<{ file: Blob; recoveryKey: string | null }> {
    const { parts, recoveryKey } = await writeBackup(this.db, this.keyring, protection, onProgress);
    return {
      file: new Blob(parts as BlobPart[], { type: 'application/octet-stream' }),
      recoveryKey: recoveryKey ? formatRecoveryKey(recoveryKey) : null,
    };
  }

  /** A statement, signed by this device's key, that the relay must no longer accept anything from it. */
  revocation(at = Date.now()): Revocation {
    const device = this.keyring.signPublic;
    const signature = signRevocation(this.keyring.signSecret, device, at);
    return { v: 1, device: toBase64Url(device), at, signature: toBase64Url(signature) };
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
    this.closed = true;
    // Whatever was typed last is stored (sealed) before the keys go.
    void this.drafts.flush();
    this.connection.stop();
    void this.index.close();
    void this.search.close();
    for (const conversation of this.conversations.values()) conversation.close();
    this.conversations.clear();
    this.listeners.clear();
  }

  /**
   * Create a conversation and a one-time invite for the person it is for. Needs the relay (to file the sealed
   * invite); throws `RelayError('offline')` without it.
   */
  async createInvite(label: string): Promise<{ link: string; room: string }> {
    this.requireIdentity();
    const { room, roomKey } = await this.createRelayRoom();
    const { secret, link } = await this.fileInvite(room, 0, roomKey);
    const record: RoomRecord = {
      room: toHex(room),
      epoch: 0,
      keys: { 0: toBase64Url(roomKey) },
      creator: toBase64Url(this.keyring.signPublic),
      inviteSecrets: [toBase64Url(secret)],
      createdAt: Date.now(),
      label: label.trim(),
      inviteLink: link,
      log: [],
      pendingMembership: [],
      kind: 'conversation',
    };
    await this.records.put(`room:${record.room}`, 'room', record);
    await this.openRoom(record);
    return { link, room: record.room };
  }

  /**
   * A new invite into an existing conversation, for its other participant when they have lost their device (and
   * its keys) and must rejoin with new ones. Whoever joins with it is shown to everyone as that person with a
   * changed key, so nobody mistakes a stranger for a verified contact. Needs the relay.
   */
  async inviteAgain(roomId: string): Promise<string> {
    const conversation = this.conversations.get(roomId);
    if (!conversation) throw new Error('This conversation is not on this device.');
    this.requireIdentity();
    const replaces = conversation.counterpart()?.key;
    await this.waitForRelay();
    const { record } = conversation;
    const roomKey = record.keys[record.epoch];
    if (!roomKey) throw new Error('This device does not hold the conversation key.');
    const { secret, link } = await this.fileInvite(fromHex(roomId), record.epoch, fromBase64Url(roomKey), {
      replaces,
    });
    const rejoin = replaces ? { [toHex(inviteAddress(secret).inviteId)]: replaces } : {};
    await conversation.updateRecord({
      ...conversation.record,
      inviteSecrets: [...record.inviteSecrets, toBase64Url(secret)],
      inviteLink: link,
      rejoins: { ...conversation.record.rejoins, ...rejoin },
    });
    conversation.trustInvite(secret);
    return link;
  }

  /**
   * Seal an invite to a room under a fresh one-time secret and file it at the relay; returns the link. With
   * `practiceName` it is an invite to join this person's practice.
   */
  private async fileInvite(
    room: Uint8Array,
    epoch: number,
    roomKey: Uint8Array,
    { replaces, practiceName }: { replaces?: string; practiceName?: string } = {},
  ): Promise<{ secret: Uint8Array; link: string }> {
    const kind = practiceName === undefined ? 'conversation' : 'practice';
    const secret = newInviteSecret();
    const expiresAt = Date.now() + INVITE_TTL_MS;
    const box = sealInvite(
      secret,
      {
        v: 1,
        room: toHex(room),
        epoch,
        roomKey: toBase64Url(roomKey),
        inviter: {
          signPublic: toBase64Url(this.keyring.signPublic),
          boxPublic: toBase64Url(this.keyring.boxPublic),
          name: this.profile.name,
          replyPromise: this.profile.replyPromise,
          role: this.profile.role,
        },
        expiresAt,
        ...(replaces ? { replaces } : {}),
        kind,
        ...(practiceName === undefined ? {} : { practiceName }),
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
    const fragment = encodeInviteFragment({ secret, inviter: this.keyring.signPublic, kind });
    const link = `${window.location.origin}/invite#${fragment}`;
    return { secret, link };
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
    const practice = payload.kind === 'practice';
    if (practice && this.profile.role !== 'therapist') {
      throw new InviteError('professionals_only', "A practice's invite is for a professional's account.");
    }
    const existing = this.index.has(payload.room);
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
      label: (practice ? payload.practiceName : undefined) ?? payload.inviter.name,
      inviteLink: '',
      inviter: {
        name: payload.inviter.name,
        replyPromise: payload.inviter.replyPromise,
        role: payload.inviter.role,
        box: toHex(fromBase64Url(payload.inviter.boxPublic)),
      },
      ...(payload.replaces ? { replaces: payload.replaces } : {}),
      log: [],
      pendingMembership: [],
      kind: payload.kind,
    };
    // openInvite has checked the inviter's signature against the key in the link, and the payload's shape.
    await this.records.put(`room:${record.room}`, 'room', record);
    await this.openRoom(record);
    return record.room;
  }

  /**
   * The people this person can add to a conversation, by name: those they keep (see `Contacts`) and the other
   * professionals of their practices (source `practice`), while both are in the practice.
   */
  contacts(): Contact[] {
    const kept = this.contactBook.list();
    const colleagues = [...this.colleagues().values()].filter((c) => !this.contactBook.has(c.key));
    return [...kept, ...colleagues].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One contact, kept or from a practice. */
  private contact(key: string): Contact | undefined {
    return this.contactBook.get(key) ?? this.colleagues().get(key);
  }

  /** The other professionals of every practice this person is in, by key. */
  private colleagues(): Map<string, Contact> {
    const out = new Map<string, Contact>();
    for (const practice of this.practices()) {
      for (const colleague of practice.colleagues())
        if (!out.has(colleague.key)) out.set(colleague.key, colleague);
    }
    return out;
  }

  /**
   * The practices this person is in (loaded; they load behind the list like conversations), oldest first. A practice
   * is a room like a conversation: its manager is the administrator, its members the professionals.
   */
  practices(): Conversation[] {
    return [...this.conversations.values()]
      .filter((c) => c.isPractice && c.isMember)
      .sort((a, b) => a.record.createdAt - b.record.createdAt);
  }

  /** True when `room` is a practice, not a conversation. */
  isPractice(room: string): boolean {
    return this.conversations.get(room)?.isPractice ?? false;
  }

  /**
   * Set up a practice named `name`, with this person (a therapist) as its administrator. Needs the relay; resolves
   * with the practice's room id once its log has started. Throws `MembershipError` (`invalid_name`,
   * `not_a_professional`), `RelayError('offline')`, `RelayError('not_identity')` on a linked device.
   */
  async startPractice(name: string): Promise<string> {
    this.requireIdentity();
    const text = name.trim();
    if (text.length === 0 || text.length > MAX_NAME_CHARS) {
      throw new MembershipError('invalid_name', `A practice's name has 1 to ${MAX_NAME_CHARS} characters.`);
    }
    if (this.profile.role !== 'therapist') {
      throw new MembershipError('not_a_professional', "A practice is set up from a professional's account.");
    }
    const practice = await this.startRoom({ kind: 'practice', label: text });
    await practice.describePractice(text);
    return practice.room;
  }

  /**
   * A one-time invite link for a professional to join this practice (administrator only). Whoever opens it makes a
   * therapist's account, or joins with the one they have; the administrator's device then adds them to the log.
   */
  async invitePractice(room: string): Promise<string> {
    const practice = this.conversations.get(room);
    if (!practice?.isPractice) throw new Error('This practice is not on this device.');
    this.requireIdentity();
    if (!practice.canManage) {
      throw new MembershipError('not_manager', "Only the practice's administrator can invite professionals.");
    }
    await this.waitForRelay();
    const { record } = practice;
    const roomKey = record.keys[record.epoch];
    if (!roomKey) throw new Error('This device does not hold the practice key.');
    const { secret, link } = await this.fileInvite(fromHex(room), record.epoch, fromBase64Url(roomKey), {
      practiceName: practice.practiceName,
    });
    await practice.updateRecord({
      ...practice.record,
      inviteSecrets: [...practice.record.inviteSecrets, toBase64Url(secret)],
    });
    practice.trustInvite(secret);
    return link;
  }

  /**
   * Start a conversation with `topic` and some of this person's contacts; this person manages it. Needs the relay
   * (to create the room and start its membership log); the contacts are added through the log and learn of it from
   * their room list, with no invite link. Resolves with the room id once the log has started (or, if the relay is
   * slow, once everything is queued); the additions may still be pending (they go out in order, like messages).
   * Throws `MembershipError`, or `RelayError('offline')` / `RelayError('not_identity')` on a linked device.
   */
  async startConversation(topic: string, contactKeys: string[]): Promise<string> {
    this.requireIdentity('Conversations are started');
    const text = topic.trim();
    if (text.length === 0 || text.length > MAX_TOPIC_CHARS) {
      throw new MembershipError('invalid_topic', `A topic has 1 to ${MAX_TOPIC_CHARS} characters.`);
    }
    const people = contactKeys.map((key) => {
      const contact = this.contact(key);
      if (!contact) throw new MembershipError('not_a_contact', 'You can only add your own contacts.');
      return contact;
    });
    const conversation = await this.startRoom({ kind: 'conversation', label: '' });
    await conversation.setTopic(text);
    for (const person of people) await conversation.addParticipant(person.key);
    return conversation.room;
  }

  /** A new room id and first key, with the room created at the relay (which makes this identity its member). */
  private async createRelayRoom(): Promise<{ room: Uint8Array; roomKey: Uint8Array }> {
    await this.waitForRelay();
    const { room, roomKey } = newRoom();
    await this.connection.request(
      { type: 'createRoom', room },
      'roomCreated',
      (f) => bytesEqual(f.room, room),
      room,
    );
    return { room, roomKey };
  }

  /** Create a room this person manages, and wait until its membership log has started. Needs the relay. */
  private async startRoom({ kind, label }: Pick<RoomRecord, 'kind' | 'label'>): Promise<Conversation> {
    const { room, roomKey } = await this.createRelayRoom();
    const record = RoomRecord.parse({
      room: toHex(room),
      epoch: 0,
      keys: { 0: toBase64Url(roomKey) },
      creator: toBase64Url(this.keyring.signPublic),
      inviteSecrets: [],
      createdAt: Date.now(),
      label,
      kind,
    });
    await this.records.put(`room:${record.room}`, 'room', record);
    const conversation = await this.openRoom(record);
    // Durably queued: the log's start, which goes out like a message; what the caller queues next follows it.
    await conversation.startLog();
    // Usually the relay takes the start at once; if not, everything queued still goes out when it can.
    await conversation.whenLogReaches(1, RELAY_WAIT_MS).catch(() => undefined);
    return conversation;
  }

  /**
   * The relay's list of this identity's rooms: open those this device has not seen (it was added to them, or they
   * were started on another of its devices); a key bundle brings their keys. Rooms it had been shut out of and is
   * back in are read again.
   */
  private async openListedRooms(frame: FrameOf<'roomList'>): Promise<void> {
    for (const room of frame.rooms) {
      const id = toHex(room);
      // A room still waiting its turn to load is known too: its record holds keys that must not be replaced.
      if (this.index.has(id)) {
        const known = this.conversations.get(id) ?? (await this.index.open(id));
        known.rejoin();
        continue;
      }
      const record = RoomRecord.parse({
        room: id,
        epoch: 0,
        keys: {},
        creator: '',
        inviteSecrets: [],
        createdAt: Date.now(),
      });
      try {
        await this.records.put(`room:${record.room}`, 'room', record);
        await this.openRoom(record);
      } catch (error) {
        console.warn('hearth: could not open a listed conversation', error);
      }
    }
  }

  /** Remember as contacts the people this person's conversations connect them with. */
  private async learnContacts(conversation: Conversation): Promise<void> {
    for (const candidate of conversation.contactCandidates()) {
      if (await this.contactBook.remember(candidate)) this.notify();
    }
  }

  /**
   * The inbox, from the stored summaries (so it works offline and before any conversation is loaded): narrowed by
   * `query`, whoever has waited longest against this person's reply promise first.
   */
  inbox(query: InboxQuery): InboxItem[] {
    return inbox(this.index.list(), query, (since) => this.replyDue(since));
  }

  /** The people the inbox can be narrowed to. */
  inboxPeople(): InboxPerson[] {
    return inboxPeople(this.index.list());
  }

  /**
   * When a reply to a message written at `since` is due, by this person's reply promise: counted in their office
   * hours when they have set them, a day later when they have not.
   */
  replyDue(since: number): number {
    const hours = this.currentProfile.hours;
    return hours ? replyDueBy(hours, since) : since + DEFAULT_REPLY_WITHIN_MS;
  }

  /** Conversations, most recent activity first (practices are rooms too, but not conversations). */
  list(): Conversation[] {
    const lastActivity = (c: Conversation) => c.messages().at(-1)?.at ?? c.record.createdAt;
    return [...this.conversations.values()]
      .filter((c) => !c.isPractice)
      .sort((a, b) => lastActivity(b) - lastActivity(a));
  }

  /**
   * A device linked or removed from here goes into every conversation's audit trail, so the people this person
   * writes to can see that another device now (or no longer) speaks for them.
   */
  private async auditDeviceEvent(event: DeviceEvent): Promise<void> {
    const kind = event.type === 'linked' ? 'device-linked' : 'device-removed';
    await this.index.whenLoaded();
    const results = await Promise.allSettled(
      [...this.conversations.values()].map((c) => c.recordAudit(kind, event.device)),
    );
    // The device change itself is already done at the relay; a line that could not be queued loses no message.
    for (const result of results) {
      if (result.status === 'rejected')
        console.warn('hearth: could not record a device change', result.reason);
    }
  }

  /** An invite is signed with the identity's key, which only the first device holds. */
  /** Invites and conversation changes are signed with the identity's key, which only the first device holds. */
  private requireIdentity(what = 'Invites are made'): void {
    if (this.keyring.linked) throw new RelayError('not_identity', `${what} on the first device.`);
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

  private openRoom(record: RoomRecord): Promise<Conversation> {
    return this.index.add(record);
  }

  /**
   * Load a room's conversation from the store and start it syncing. It joins `conversations` only once loaded,
   * so nothing shows a half-loaded document as the conversation.
   */
  private async loadRoom(record: RoomRecord): Promise<Conversation> {
    const conversation = new Conversation(
      this.db,
      this.connection,
      this.keyring,
      record,
      this.profile,
      (next) => this.records.put(`room:${next.room}`, 'room', next),
      this.contactLookup,
    );
    conversation.onChange(() => {
      this.notePractice(conversation);
      this.notify();
      this.learnContacts(conversation).catch((error) =>
        console.warn('hearth: could not keep a contact', error),
      );
    });
    await conversation.open();
    if (this.introductionsChanged) await conversation.refreshIntroduction(this.profile);
    this.notePractice(conversation);
    if (this.closed) conversation.close();
    else this.conversations.set(record.room, conversation);
    this.search.track(conversation);
    this.notify();
    return conversation;
  }

  /**
   * A room learnt of from the relay's room list whose document says it is a practice: keep that in its record, so
   * the next unlock leaves it out of the list before it loads, and take it out of the list now.
   */
  private notePractice(conversation: Conversation): void {
    if (conversation.record.kind || !conversation.isPractice) return;
    this.index.hide(conversation.room);
    conversation
      .updateRecord({ ...conversation.record, kind: 'practice' })
      .catch((error) => console.warn('hearth: could not note a practice', error));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
