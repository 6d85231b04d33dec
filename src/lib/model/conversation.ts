import * as Y from 'yjs';
import type { HearthDb } from '../store/db';
import {
  RoomMembership,
  RoomSync,
  REMOTE_ORIGIN,
  type Keyring,
  type RelayConnection,
  type RoomEvent,
  type RoomTrust,
  fromBase64Url,
  safetyNumber,
  toBase64Url,
} from '../sync';
import { fromHex, toHex } from '../protocol/hex';
import { MAX_KEPT_SESSIONS, MAX_NAME_CHARS, MAX_TOPIC_CHARS } from '../protocol/limits';
import { DOC_ROOT } from '../protocol/documentRoots';
import { AWAY_MAP, awayReplyDue, shownAway } from './awayReply';
import { validateMessage } from './errors';
import {
  countedSessions,
  endOf,
  isSessionLength,
  MessagingSessionError,
  runningSession,
  sessionLines,
  type MessagingSessionView,
} from './messagingSessions';
import { advance, type MessageState } from './messageState';
import {
  membershipLine,
  nameOf,
  problemLine,
  participantOf,
  topicChanges,
  topicOf,
  type NameSources,
  type Participant,
} from './membershipView';
import {
  AuditEntry,
  MessageEntry,
  PersonEntry,
  ReceiptEntry,
  type Contact,
  type MessagingSessionEntry,
  type Profile,
  type RoomRecord,
  type TopicEntry,
} from './schemas';

/** A message as the conversation view shows it. */
export interface MessageView {
  id: string;
  text: string;
  at: number;
  mine: boolean;
  /** The author's identity key (hex). */
  by: string;
  authorName: string;
  /** `away`: the therapist's away message, sent by their device on its own. */
  auto?: 'away';
  /** Only for this device's own messages. */
  state: MessageState | null;
  failedReason: string | null;
}

export interface Counterpart {
  /** Their identity signing key (hex): what the safety number is made from, whichever device they write from. */
  key: string;
  name: string;
  role: 'therapist' | 'client';
  replyPromise: string;
}

/**
 * Whether this person has compared safety numbers with their contact. `changed`: the contact now has a different
 * key than before (they rejoined from a new device), and it has not been verified since.
 */
export type VerificationState = 'verified' | 'unverified' | 'changed';

export interface Verification {
  state: VerificationState;
  contact: Counterpart;
  /** 12 groups of 5 digits, the same on both devices. */
  safetyNumber: string[];
}

/** A line of the audit trail as the conversation shows it. */
export interface AuditView {
  id: string;
  /**
   * An audit entry's kind, a membership change's (`create`, `add`, `remove`, `leave`, `handover`), `topic`, or a
   * messaging session's start or end.
   */
  kind:
    | AuditEntry['kind']
    | 'create'
    | 'add'
    | 'remove'
    | 'leave'
    | 'handover'
    | 'topic'
    | 'session-start'
    | 'session-end';
  at: number;
  text: string;
  /** A membership change made on this device that the relay has not taken yet (offline, or being sent). */
  pending?: boolean;
}

/** A membership change of this person's that was refused, in words. */
export interface MembershipProblemView {
  id: string;
  text: string;
  at: number;
}

/** Why a membership change cannot be made, in words a person can act on. */
export class MembershipError extends Error {
  constructor(
    readonly code:
      | 'not_manager'
      | 'manager_cannot_leave'
      | 'not_a_member'
      | 'not_a_contact'
      | 'not_a_participant'
      | 'already_a_participant'
      | 'linked_device'
      | 'invalid_topic'
      | 'invalid_nickname'
      | 'invalid_name'
      | 'not_a_professional',
    message: string,
  ) {
    super(message);
    this.name = 'MembershipError';
  }
}

/** What a conversation asks of the session about people. */
export interface ContactLookup {
  get(key: string): Contact | undefined;
}

/** How long receipts wait to gather several messages into one change. */
const RECEIPT_DELAY_MS = 150;

/**
 * One conversation: its Yjs document (messages, people, receipts, topic) and the encrypted provider that keeps
 * it in step with the other devices. Every read goes to the local document; nothing here waits on the network.
 */
export class Conversation {
  readonly room: string;
  readonly doc = new Y.Doc();
  private readonly sync: RoomSync;
  private readonly me: string;
  private statusCache = new Map<string, { state: MessageState; reason: string | null }>();
  /** Messages in the document whose outbox write has not committed yet: shown, but not yet called queued. */
  private readonly saving = new Set<string>();
  private rejectedCount = 0;
  private readonly listeners = new Set<() => void>();
  private receiptTimer: ReturnType<typeof setTimeout> | null = null;
  /** Parsed entries and the view built from them, rebuilt only after the document or a status changes. */
  private entriesCache: MessageEntry[] | null = null;
  private viewCache: MessageView[] | null = null;
  /** Each raw entry is checked against the schema once; Yjs hands back the same objects every time. */
  private readonly parsed = new WeakMap<object, MessageEntry | null>();
  private pendingRead = false;
  /** Introduce ourselves once caught up (a linked device, see `open`). */
  private introducePending = false;
  private readonly trust: RoomTrust;
  private currentRecord: RoomRecord;
  /** The room's membership log, pending changes and key epochs. */
  private readonly membership: RoomMembership;
  /** Record writes, one at a time: the log, pending changes and keys each change the one record. */
  private recordWrites: Promise<void> = Promise.resolve();
  private accessLost = false;
  /** A look at which messaging sessions count is queued (see `rememberSessionsSoon`). */
  private sessionsCheckQueued = false;
  private closed = false;

  constructor(
    db: HearthDb,
    connection: RelayConnection,
    private readonly keyring: Keyring,
    record: RoomRecord,
    private profile: Profile,
    private readonly saveRecord: (record: RoomRecord) => Promise<void>,
    private readonly contacts: ContactLookup = { get: () => undefined },
  ) {
    this.room = record.room;
    this.currentRecord = record;
    // The person, not the device: messages, introductions and receipts from any of their devices are theirs.
    this.me = toHex(keyring.identity.signPublic);
    const keys = new Map(
      Object.entries(record.keys).map(([epoch, key]) => [Number(epoch), fromBase64Url(key)]),
    );
    this.trust = {
      creator: fromBase64Url(record.creator),
      inviteSecrets: record.inviteSecrets.map(fromBase64Url),
    };
    this.membership = new RoomMembership({
      connection,
      keyring,
      room: fromHex(record.room),
      creator: record.creator ? fromBase64Url(record.creator) : null,
      keys,
      log: record.log.map((l) => ({ entry: fromBase64Url(l.entry), afterSeq: l.afterSeq })),
      pending: record.pendingMembership,
      replacedBy: (inviteId) => this.currentRecord.rejoins?.[inviteId],
      store: {
        saveLog: (log) =>
          this.patchRecord((r) => ({
            ...r,
            log: log.map((l) => ({ entry: toBase64Url(l.entry), afterSeq: l.afterSeq })),
          })),
        savePending: (pending) => this.patchRecord((r) => ({ ...r, pendingMembership: [...pending] })),
        saveKeys: (all) =>
          this.patchRecord((r) => ({
            ...r,
            epoch: Math.max(...all.keys()),
            keys: Object.fromEntries([...all].map(([epoch, key]) => [String(epoch), toBase64Url(key)])),
          })),
      },
    });
    this.sync = new RoomSync({
      db,
      connection,
      keyring,
      room: fromHex(record.room),
      keys,
      trust: this.trust,
      doc: this.doc,
      membership: this.membership,
    });
    this.membership.attach(this.sync);
    this.membership.onChange(() => {
      this.notify();
      this.introduceWhenReady().catch((error) => console.warn('hearth: could not introduce', error));
    });
    this.sync.on((event) => void this.handleSyncEvent(event));
    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      this.entriesCache = null;
      this.viewCache = null;
      this.rememberSessionsSoon();
      // A local change is shown once its outbox write has committed (see `commit`), not before: rendering here
      // would both show an unsaved message and hold up the transaction that saves it.
      if (origin === REMOTE_ORIGIN) this.notify();
    });
  }

  /** Load from the device's store and start syncing. Introduces us in the document the first time. */
  async open(): Promise<void> {
    await this.sync.load();
    this.statusCache = await this.sync.statuses();
    this.rejectedCount = (await this.sync.rejections()).length;
    this.membership.start();
    this.sync.start();
    // A linked device acts for an identity that its first device has usually introduced already, but a newly linked
    // one has none of the history yet: it waits until caught up, so it never repeats "joined" in the audit trail.
    if (this.keyring.linked && !this.sync.caughtUp) this.introducePending = true;
    else await this.introduceWhenReady();
    this.notify();
  }

  /**
   * Introduce this person in `people` once, under the name they chose: in a conversation where someone is not their
   * contact, only after they chose a nickname (or their own name), so a stranger never sees a name meant for contacts.
   * A room learnt of by ROOM_LIST waits for its log (to know who is in it) and its key.
   */
  private async introduceWhenReady(): Promise<void> {
    if (this.introducePending || this.doc.getMap(DOC_ROOT.people).has(this.me) || this.sync.epoch < 0) return;
    if (!this.isMember) return;
    const { nickname, inviteSecrets, creator } = this.currentRecord;
    const fromInvite = inviteSecrets.length > 0 || creator === toBase64Url(this.keyring.identity.signPublic);
    if (nickname === undefined) {
      if (!this.membership.hasLog && !fromInvite) return;
      if (this.needsNickname) return;
    }
    await this.introduce();
  }

  close(): void {
    this.closed = true;
    if (this.receiptTimer) clearTimeout(this.receiptTimer);
    this.membership.stop();
    this.sync.stop();
    this.doc.destroy();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What this device keeps about the room (keys, trust anchors, verification), decrypted. */
  get record(): RoomRecord {
    return this.currentRecord;
  }

  /** Replace the room's record, encrypted at rest before it is used. */
  async updateRecord(next: RoomRecord): Promise<void> {
    await this.patchRecord(() => next);
  }

  /** Change the record from its latest state, after any write still running (they would overwrite each other). */
  private patchRecord(change: (record: RoomRecord) => RoomRecord): Promise<void> {
    const run = this.recordWrites.then(async () => {
      const next = change(this.currentRecord);
      await this.saveRecord(next);
      this.currentRecord = next;
      this.notify();
    });
    this.recordWrites = run.catch(() => undefined);
    return run;
  }

  /** Accept members who claim this invite (one this device made), from now on. */
  trustInvite(secret: Uint8Array): void {
    this.trust.inviteSecrets.push(secret);
  }

  /**
   * The conversation's topic: the latest change by whoever managed the room when it was made (see `topicOf`); for a
   * conversation from before managers, the one its therapist set.
   */
  get topic(): string {
    const entry = topicOf(this.doc.getArray(DOC_ROOT.topics).toArray(), this.membership.state);
    if (entry) return entry.topic;
    const topic = this.doc.getMap('meta').get('topic');
    return typeof topic === 'string' ? topic : '';
  }

  /**
   * True when this room is a practice: its members are the practice's professionals and its manager the
   * administrator. The room's record says so when this device made it or joined it by a signed invite; otherwise
   * (learnt of from the relay's room list, or from before practices) the document its starter wrote does.
   */
  get isPractice(): boolean {
    const { kind } = this.currentRecord;
    if (kind) return kind === 'practice';
    return this.doc.getMap('meta').get('kind') === 'practice';
  }

  /** A practice's name, as its starter wrote it (or as the invite said, until the document arrives). */
  get practiceName(): string {
    const name = this.doc.getMap('meta').get('practiceName');
    return typeof name === 'string' && name.length > 0 ? name : this.currentRecord.label;
  }

  /** Write what makes this room a practice into its document (its starter, once, when setting it up). */
  async describePractice(name: string): Promise<void> {
    this.requireManager();
    await this.commit(() => {
      const meta = this.doc.getMap('meta');
      meta.set('kind', 'practice');
      meta.set('practiceName', name);
    });
  }

  /**
   * The other professionals of this practice, as contacts (source `practice`): the log's members who have introduced
   * themselves. Empty unless this is a practice this person is still in, so leaving or being removed ends them.
   */
  colleagues(): Contact[] {
    if (!this.isPractice || !this.isMember || !this.membership.hasLog) return [];
    const people = this.people();
    const { members, changes } = this.membership.state;
    const out: Contact[] = [];
    for (const [key, box] of members) {
      const person = people.get(key);
      if (key === this.me || !person) continue;
      const joined = changes
        .filter((c) => c.subject === key && (c.kind === 'add' || c.kind === 'create'))
        .at(-1);
      out.push({
        key,
        box: toHex(box),
        name: person.name,
        role: person.role,
        source: 'practice',
        at: joined?.at ?? this.currentRecord.createdAt,
      });
    }
    return out;
  }

  /** The manager's identity key (hex): the log's, or for a conversation from before logs, its creator. */
  get manager(): string | null {
    if (this.membership.hasLog) return this.membership.state.manager;
    return this.currentRecord.creator ? toHex(fromBase64Url(this.currentRecord.creator)) : null;
  }

  /** True when this person manages the conversation and this device can sign changes (the account's first device). */
  get canManage(): boolean {
    return this.manager === this.me && !this.keyring.linked && this.isMember;
  }

  /**
   * False once this person left or was removed (the conversation stays readable, with what they had, but nothing new
   * arrives and nothing can be sent).
   */
  get isMember(): boolean {
    return !this.membership.state.departed.has(this.me) && !this.accessLost;
  }

  /**
   * Everyone in the conversation now: the log's members, or for a conversation from before logs, whoever introduced
   * themselves (and the inviter, until they have).
   */
  participants(): Participant[] {
    const sources = this.nameSources();
    const manager = this.manager;
    const keys = this.membership.hasLog
      ? [...this.membership.state.members.keys()]
      : [...new Set([...this.people().keys(), this.me])];
    // Someone who joined by invite and whom the manager's device has not written into the log yet still belongs.
    if (this.membership.hasLog) {
      for (const key of this.people().keys()) {
        if (!keys.includes(key) && this.membership.standing(key, Number.MAX_SAFE_INTEGER) === 'unknown')
          keys.push(key);
      }
    }
    // Someone who rejoined from a new device is one participant: the key they replaced no longer stands for anyone.
    const people = this.people();
    const replaced = new Set(
      keys.map((key) => people.get(key)?.replaces).filter((k): k is string => k !== undefined),
    );
    return keys.filter((key) => !replaced.has(key)).map((key) => participantOf(sources, key, manager));
  }

  /**
   * True when someone here is not this person's contact and they have not yet chosen how to appear (a nickname, or
   * their own name): until then they are not introduced to the others.
   */
  get needsNickname(): boolean {
    // A practice's professionals appear in its directory under their own names.
    if (this.currentRecord.nickname !== undefined || !this.membership.hasLog || this.isPractice) return false;
    // The key this person rejoined in place of is their own old one, not a stranger.
    const { replaces } = this.currentRecord;
    return [...this.membership.state.members.keys()].some(
      (key) => key !== this.me && key !== replaces && this.contacts.get(key) === undefined,
    );
  }

  /** The nickname chosen here (null: their own name; undefined: not chosen). */
  get nickname(): string | null | undefined {
    return this.currentRecord.nickname;
  }

  /** Take part under `name` (null: under one's own name). Shown to everyone who is not already a contact. */
  async setNickname(name: string | null): Promise<void> {
    const nickname = name === null ? null : name.trim();
    if (nickname !== null && (nickname.length === 0 || nickname.length > MAX_NAME_CHARS)) {
      throw new MembershipError('invalid_nickname', `A nickname has 1 to ${MAX_NAME_CHARS} characters.`);
    }
    await this.patchRecord((r) => ({ ...r, nickname }));
    if (this.doc.getMap(DOC_ROOT.people).has(this.me))
      await this.commit(() => this.doc.getMap(DOC_ROOT.people).set(this.me, this.selfEntry()));
    else await this.introduceWhenReady();
  }

  /** Change the topic (manager only). Goes out with the next connection like a message. */
  async setTopic(topic: string): Promise<void> {
    const text = topic.trim();
    if (text.length === 0 || text.length > MAX_TOPIC_CHARS) {
      throw new MembershipError('invalid_topic', `A topic has 1 to ${MAX_TOPIC_CHARS} characters.`);
    }
    this.requireManager();
    const starting = this.membership.pending.some((p) => p.kind === 'create');
    if (!this.membership.hasLog && !starting) {
      // A room from before logs (its creator's device starts one when next online): its topic lives in `meta`.
      await this.commit(() => this.doc.getMap('meta').set('topic', text));
      return;
    }
    // While this person's start of the log is queued, the head they will stand on is its first entry.
    const entry: TopicEntry = {
      topic: text,
      by: this.me,
      at: Date.now(),
      index: Math.max(this.membership.state.length, 1),
    };
    await this.commit(() => this.doc.getArray(DOC_ROOT.topics).push([entry]));
  }

  /** Add one of this person's contacts (manager only). Pending until the relay has it; works offline. */
  async addParticipant(contactKey: string): Promise<void> {
    this.requireManager();
    const contact = this.contacts.get(contactKey);
    if (!contact) throw new MembershipError('not_a_contact', 'You can only add your own contacts.');
    if (this.membership.state.members.has(contactKey)) {
      throw new MembershipError('already_a_participant', `${contact.name} is already in this conversation.`);
    }
    await this.membership.queue('add', { signPublic: fromHex(contact.key), boxPublic: fromHex(contact.box) });
  }

  /** Remove a participant (manager only): they keep what they had and receive nothing new. */
  async removeParticipant(key: string): Promise<void> {
    this.requireManager();
    if (key === this.me) {
      throw new MembershipError(
        'manager_cannot_leave',
        'Hand the conversation to someone else before you leave.',
      );
    }
    await this.membership.queue('remove', this.memberKeys(key));
  }

  /** Leave: this person keeps the history they had and receives nothing new. The manager hands over first. */
  async leave(): Promise<void> {
    if (this.keyring.linked) {
      throw new MembershipError('linked_device', "Leave from your account's first device.");
    }
    if (this.manager === this.me) {
      throw new MembershipError(
        'manager_cannot_leave',
        'You manage this conversation: make someone else the manager before you leave.',
      );
    }
    await this.membership.queue('leave', this.memberKeys(this.me));
  }

  /** Make another participant the manager (manager only). */
  async handOver(key: string): Promise<void> {
    this.requireManager();
    await this.membership.queue('handover', this.memberKeys(key));
  }

  /**
   * Membership changes of this person's that were refused, in words; first, if the relay's log did not check out
   * past some entry (a relay that altered it), that the member list shown stops there.
   */
  get membershipProblems(): MembershipProblemView[] {
    const name = (key: string) => nameOf(this.nameSources(), key);
    const refused = this.membership.problems.map((p) => ({
      id: p.id,
      at: p.at,
      text: problemLine(p.kind, p.subject, p.reason, name),
    }));
    const broken = this.membership.logProblem;
    if (!broken) return refused;
    const text = `The member list the relay sent does not check out (${broken}); later changes are not shown.`;
    return [{ id: 'log', at: 0, text }, ...refused];
  }

  /** Membership changes made here that the relay has not taken yet (also in `auditTrail`, marked pending). */
  get pendingChanges(): AuditView[] {
    const name = (key: string) => nameOf(this.nameSources(), key);
    return this.membership.pending.map((p) => ({
      id: p.id,
      kind: p.kind,
      at: p.at,
      text: membershipLine(p.kind, this.me, p.subject, name),
      pending: true,
    }));
  }

  /**
   * People this conversation makes this person's contacts: whoever joined by one of their invites (their keys
   * verified by the claim), and whoever invited them (keys from the signed invite, or the log). Named as they
   * introduced themselves.
   */
  contactCandidates(): Contact[] {
    const out: Contact[] = [];
    // A practice's professionals are contacts only while both are in it (see `colleagues`), never kept.
    if (this.isPractice) return out;
    const people = this.people();
    const { creator, inviter } = this.currentRecord;
    if (creator && toHex(fromBase64Url(creator)) === this.me) {
      for (const claimer of this.sync.verifiedClaimers()) {
        const key = toHex(claimer.signPublic);
        const person = people.get(key);
        if (!person || person.nickname) continue;
        const box = toHex(claimer.boxPublic);
        out.push({
          key,
          box,
          name: person.name,
          role: person.role,
          source: 'accepted-my-invite',
          at: Date.now(),
        });
      }
    } else if (inviter && creator) {
      const key = toHex(fromBase64Url(creator));
      const box = inviter.box ?? this.membership.state.members.get(key);
      const person = people.get(key) ?? inviter;
      if (box) {
        const boxHex = typeof box === 'string' ? box : toHex(box);
        out.push({
          key,
          box: boxHex,
          name: person.name,
          role: person.role,
          source: 'invited-me',
          at: Date.now(),
        });
      }
    }
    return out;
  }

  /** Let back into the room (it is in the relay's room list again): read what was missed since. */
  rejoin(): void {
    if (!this.accessLost) return;
    this.accessLost = false;
    this.sync.resubscribe();
    this.notify();
  }

  /** True while the relay refuses this device the room (it left, or was removed). */
  get shutOut(): boolean {
    return this.accessLost;
  }

  /** Start the room's membership log with this person as its manager (a room this device just created). */
  async startLog(): Promise<void> {
    await this.membership.queue('create', this.keyring.identity);
  }

  /** Wait until the room's membership log has at least `length` entries (after starting a conversation). */
  whenLogReaches(length: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.membership.state.length >= length) return resolve();
      const timer = setTimeout(() => {
        off();
        reject(new Error('The relay did not take the conversation in time.'));
      }, timeoutMs);
      const off = this.membership.onChange(() => {
        if (this.membership.state.length < length) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  private requireManager(): void {
    if (this.keyring.linked) {
      throw new MembershipError(
        'linked_device',
        "Conversation changes are made on your account's first device.",
      );
    }
    if (!this.isMember) throw new MembershipError('not_a_member', 'You are no longer in this conversation.');
    if (this.manager !== this.me) {
      throw new MembershipError('not_manager', 'Only the manager of this conversation can do that.');
    }
  }

  private memberKeys(key: string): { signPublic: Uint8Array; boxPublic: Uint8Array } {
    const box = this.membership.state.members.get(key);
    if (!box) throw new MembershipError('not_a_participant', 'This person is not in the conversation.');
    return { signPublic: fromHex(key), boxPublic: box };
  }

  private nameSources(): NameSources {
    return {
      me: this.me,
      myName: this.currentRecord.nickname ?? this.profile.name,
      contact: (key) => this.contacts.get(key),
      people: this.people(),
    };
  }

  /**
   * Everyone who has introduced themselves in this conversation, by device key. Until the inviter's own
   * introduction arrives, the inviter is known from the signed invite, so a client who joins while the therapist
   * is offline still sees who they are writing to and when to expect a reply.
   */
  people(): Map<string, PersonEntry> {
    const out = new Map<string, PersonEntry>();
    const { inviter, creator } = this.record;
    if (inviter) out.set(toHex(fromBase64Url(creator)), inviter);
    this.doc.getMap(DOC_ROOT.people).forEach((value, key) => {
      const parsed = PersonEntry.safeParse(value);
      if (parsed.success) out.set(key, parsed.data);
    });
    return out;
  }

  /**
   * The other person in a 1:1 conversation (or the first other participant). Someone who rejoined from a new device
   * is their new key; the key they replaced no longer stands for anyone.
   */
  counterpart(): Counterpart | null {
    const people = this.people();
    const replaced = new Set([...people.values()].map((p) => p.replaces).filter((k) => k !== undefined));
    let found: Counterpart | null = null;
    for (const [key, person] of people) {
      if (key === this.me || replaced.has(key)) continue;
      // The newest rejoin wins when several keys stand for the same person over time.
      if (!found || person.replaces) found = { key, ...person };
    }
    return found;
  }

  /** The safety number with the contact, and whether it has been verified for their current key. */
  verification(): Verification | null {
    const contact = this.counterpart();
    if (!contact) return null;
    // Identity keys on both sides: every device of either person shows the same number.
    const number = safetyNumber(this.keyring.identity.signPublic, fromHex(contact.key));
    const people = this.people();
    let state: VerificationState = 'unverified';
    if (this.currentRecord.verified?.key === contact.key) state = 'verified';
    else if (people.get(contact.key)?.replaces || this.currentRecord.verified) state = 'changed';
    return { state, contact, safetyNumber: number };
  }

  /** Remember (encrypted, on this device) that the safety number was compared and matched, or forget it. */
  async setVerified(verified: boolean): Promise<void> {
    const contact = this.counterpart();
    const next: RoomRecord = { ...this.currentRecord };
    if (verified && contact) next.verified = { key: contact.key, at: Date.now() };
    else delete next.verified;
    await this.updateRecord(next);
  }

  /**
   * The conversation's audit trail, oldest first, in words: what devices wrote into it, every membership change of
   * the log (and those still pending here), and every topic change that counts.
   */
  auditTrail(): AuditView[] {
    const sources = this.nameSources();
    const name = (key: string | undefined) => (key === undefined ? 'Someone' : nameOf(sources, key));
    const out: AuditView[] = [];
    for (const value of this.doc.getArray(DOC_ROOT.audit).toArray()) {
      const parsed = AuditEntry.safeParse(value);
      if (!parsed.success) continue;
      const e = parsed.data;
      const who = name(e.by);
      const whom = name(e.subject);
      const text = {
        created: `${who} started this conversation`,
        joined: `${who} joined`,
        left: `${who} left`,
        added: `${who} added ${whom}`,
        removed: `${who} removed ${whom}`,
        'device-linked': `${who} linked a new device`,
        'device-removed': `${who} removed a device`,
        'key-changed': `${who === 'You' ? 'Your' : `${who}'s`} security key changed: ${who === 'You' ? 'you' : 'they'} rejoined from a new device`,
      }[e.kind];
      out.push({ id: e.id, kind: e.kind, at: e.at, text });
    }
    const state = this.membership.state;
    // A key someone rejoined in place of is their lost device, not another person of the same name.
    const replaced = new Set(
      [...this.people().values()].map((p) => p.replaces).filter((k) => k !== undefined),
    );
    const removedName = (key: string) => (replaced.has(key) ? `${name(key)}'s earlier device` : name(key));
    for (const change of state.changes) {
      // The starter's own device says "started this conversation" in the audit entries already.
      if (change.kind === 'create') continue;
      out.push({
        id: `membership-${change.index}`,
        kind: change.kind,
        at: change.at,
        text: membershipLine(
          change.kind,
          change.author,
          change.subject,
          change.kind === 'remove' ? removedName : name,
        ),
      });
    }
    for (const [i, entry] of topicChanges(this.doc.getArray(DOC_ROOT.topics).toArray(), state).entries()) {
      out.push({
        id: `topic-${i}-${entry.at}`,
        kind: 'topic',
        at: entry.at,
        // The first topic is the one the conversation was started with, not a change of it.
        text: `${name(entry.by)} ${i === 0 ? 'set the topic to' : 'renamed the conversation to'} “${entry.topic}”`,
      });
    }
    const now = Date.now();
    out.push(...sessionLines(this.messagingSessions(now), now));
    out.push(...this.pendingChanges);
    return out.sort((a, b) => a.at - b.at);
  }

  /** The messaging sessions that count at `now`, oldest first (see `countedSessions`). */
  messagingSessions(now = Date.now()): MessagingSessionView[] {
    const sources = this.nameSources();
    return this.countSessions(now, this.currentRecord.sessions).map((entry) => ({
      ...entry,
      byName: nameOf(sources, entry.by),
      endsAt: endOf(entry),
    }));
  }

  private countSessions(now: number, kept: readonly MessagingSessionEntry[] = []): MessagingSessionEntry[] {
    return countedSessions(this.doc.getArray(DOC_ROOT.sessions).toArray(), this.mayStartSession(), now, kept);
  }

  /**
   * Who a counted session may name as its starter. With a membership log: whoever the signed log names as a member, or
   * as one who left or was removed (a session stays in the history after its starter goes); `people` is not enough,
   * since anyone who can write the document can introduce a key of their own making there.
   *
   * A room from before logs (a one-to-one conversation from an invite, until its creator's device starts a log) has
   * nothing signed to go by. There, only the creator (whose key this device learnt out of band) and the people whose
   * invite claim it verified can write to the document at all (`sync/memberTrust.ts`), and a message's author is
   * whoever introduced themselves in `people` under its `by`: a session's starter is trusted the same way, this person
   * or someone introduced (the inviter counts as introduced by the signed invite, see `people`).
   */
  private mayStartSession(): (key: string) => boolean {
    if (this.membership.hasLog) {
      const { members, departed } = this.membership.state;
      return (key) => members.has(key) || departed.has(key);
    }
    const people = this.people();
    return (key) => key === this.me || people.has(key);
  }

  /**
   * After a change of the document, remember in the room's sealed record the sessions that count now, so they keep
   * counting on this device whatever a peer later does to their entries (see `countedSessions`).
   */
  private rememberSessionsSoon(): void {
    if (this.sessionsCheckQueued) return;
    this.sessionsCheckQueued = true;
    queueMicrotask(() => {
      this.sessionsCheckQueued = false;
      if (this.closed) return;
      const latest = (kept?: MessagingSessionEntry[]) =>
        this.countSessions(Date.now(), kept).slice(-MAX_KEPT_SESSIONS);
      const kept = this.currentRecord.sessions ?? [];
      const counted = latest(kept);
      if (counted.length === kept.length && counted.every((entry, i) => entry.id === kept[i].id)) return;
      this.patchRecord((r) => ({ ...r, sessions: latest(r.sessions) })).catch((error: unknown) =>
        console.warn('hearth: could not remember the messaging sessions', error),
      );
    });
  }

  /** The messaging session running at `now`, if one is. */
  runningMessagingSession(now = Date.now()): MessagingSessionView | null {
    return runningSession(this.messagingSessions(now), now);
  }

  /**
   * Start a messaging session of `minutes` (one of MESSAGING_SESSION_MINUTES) for everyone here. It runs its time:
   * nothing stops it early. Throws `MessagingSessionError` while one is running, for another length, or for someone
   * no longer (or, by the membership log, not yet) in the conversation; goes out with the next connection like a message.
   */
  async startMessagingSession(minutes: number): Promise<void> {
    if (!isSessionLength(minutes)) {
      throw new MessagingSessionError('invalid_length', 'Choose one of the lengths offered for the session.');
    }
    if (!this.isMember) {
      throw new MessagingSessionError('not_a_member', 'You are no longer in this conversation.');
    }
    if (!this.mayStartSession()(this.me)) {
      // Joined by invite, and not yet written into the log by the manager's device: a session would not count yet.
      throw new MessagingSessionError(
        'not_a_member',
        'You can start a messaging session once the person who manages this conversation has confirmed you in it (when their device is next online).',
      );
    }
    // One dated a little ahead of this device's clock has not begun, but will: it blocks a new one all the same.
    const now = Date.now();
    const running = this.messagingSessions(now).at(-1);
    if (running && now < running.endsAt) {
      throw new MessagingSessionError(
        'already_running',
        `A messaging session is already in progress (started by ${running.byName === 'You' ? 'you' : running.byName}). Start another once it has ended.`,
      );
    }
    const entry = { id: crypto.randomUUID(), by: this.me, at: now, minutes };
    await this.commit(() => this.doc.getArray(DOC_ROOT.sessions).push([entry]));
  }

  /** Add a line to the audit trail (sent encrypted like a message). */
  async recordAudit(kind: AuditEntry['kind'], subject?: string): Promise<void> {
    const entry = this.auditEntry(kind, subject);
    await this.commit(() => this.doc.getArray(DOC_ROOT.audit).push([entry]));
  }

  private auditEntry(kind: AuditEntry['kind'], subject?: string): AuditEntry {
    return { id: crypto.randomUUID(), kind, by: this.me, at: Date.now(), ...(subject ? { subject } : {}) };
  }

  /** The therapist in this conversation, if one has introduced themselves (or invited us). */
  therapist(): PersonEntry | null {
    for (const person of this.people().values()) if (person.role === 'therapist') return person;
    return null;
  }

  /** True once the relay's history of this room has all reached this device (since it last connected). */
  get caughtUp(): boolean {
    return this.sync.caughtUp;
  }

  /** Number of envelopes refused as forged, replayed or unreadable: shown in the conversation. */
  get rejected(): number {
    return this.rejectedCount;
  }

  messages(): MessageView[] {
    this.viewCache ??= this.buildMessages();
    return this.viewCache;
  }

  private buildMessages(): MessageView[] {
    const people = this.people();
    const delivered = this.highestReceipt('delivered');
    const read = this.highestReceipt('read');
    const out: MessageView[] = [];
    for (const entry of this.shownEntries()) {
      const mine = entry.by === this.me;
      let state: MessageState | null = null;
      let failedReason: string | null = null;
      if (mine) {
        const stored = this.statusCache.get(entry.id);
        // Every message this device wrote has a status row once it is durable; without one it is either still
        // being saved, or arrived from the relay (so it was stored there: sent).
        state = stored?.state ?? (this.saving.has(entry.id) ? null : 'sent');
        failedReason = stored?.reason ?? null;
        if (state !== null && state !== 'queued' && state !== 'failed') {
          if (entry.n <= delivered) state = advance(state, 'delivered');
          if (entry.n <= read) state = advance(state, 'read');
        }
      }
      out.push({
        id: entry.id,
        text: entry.text,
        at: entry.at,
        mine,
        by: entry.by,
        authorName: people.get(entry.by)?.name ?? 'Someone',
        ...(entry.auto ? { auto: entry.auto } : {}),
        state,
        failedReason,
      });
    }
    return out;
  }

  /** Messages from others that this device has not yet shown as read (of those `messages()` shows). */
  unreadCount(): number {
    const mine = this.receiptsOf(this.me);
    return this.shownEntries().filter((e) => e.by !== this.me && e.n > (mine[e.by]?.read ?? 0)).length;
  }

  /** The entries `messages()` shows. */
  private shownEntries(): MessageEntry[] {
    const away = shownAway(this.doc.getMap(AWAY_MAP), this.entries(), this.people());
    // Two of the therapist's devices that raced both sent the day's away message: one is shown.
    return this.entries().filter((entry) => !entry.auto || away.has(entry.id));
  }

  /** True while this device holds messages the relay has not yet stored. */
  hasUnsent(): boolean {
    for (const status of this.statusCache.values()) if (status.state === 'queued') return true;
    return false;
  }

  /** Write a message: validated, then durably queued before this resolves. Throws `MessageError`. */
  async send(text: string): Promise<void> {
    const body = validateMessage(text);
    const id = crypto.randomUUID();
    const n = this.entries().filter((e) => e.by === this.me).length + 1;
    const entry: MessageEntry = { id, by: this.me, n, text: body, at: Date.now() };
    this.saving.add(id);
    try {
      await this.commit(() => this.doc.getArray(DOC_ROOT.messages).push([entry]), id);
    } catch (error) {
      // Not in the outbox, so it will never be sent: say so on the message rather than let it pass as sent.
      this.statusCache.set(id, { state: 'failed', reason: 'not_saved' });
      this.viewCache = null;
      this.notify();
      throw error;
    } finally {
      this.saving.delete(id);
    }
  }

  /** Record that this device has shown every message so far (a read receipt, sent encrypted). */
  markRead(): void {
    this.pendingRead = true;
    this.scheduleReceipts();
  }

  private entries(): MessageEntry[] {
    if (this.entriesCache) return this.entriesCache;
    const out: MessageEntry[] = [];
    for (const value of this.doc.getArray(DOC_ROOT.messages).toArray()) {
      if (typeof value !== 'object' || value === null) continue;
      let entry = this.parsed.get(value);
      if (entry === undefined) {
        const result = MessageEntry.safeParse(value);
        entry = result.success ? result.data : null;
        this.parsed.set(value, entry);
      }
      if (entry) out.push(entry);
    }
    this.entriesCache = out;
    return out;
  }

  private receiptsOf(reader: string): ReceiptEntry {
    const parsed = ReceiptEntry.safeParse(this.doc.getMap(DOC_ROOT.receipts).get(reader));
    return parsed.success ? parsed.data : {};
  }

  /** The furthest any other device has confirmed for this device's messages. */
  private highestReceipt(kind: 'delivered' | 'read'): number {
    let best = 0;
    this.doc.getMap(DOC_ROOT.receipts).forEach((value, reader) => {
      if (reader === this.me) return;
      const parsed = ReceiptEntry.safeParse(value);
      if (parsed.success) best = Math.max(best, parsed.data[this.me]?.[kind] ?? 0);
    });
    return best;
  }

  /**
   * What this person says about themselves in `people`: their name, or the nickname they chose here, and a
   * therapist's office hours. Hours already published here stand, with their reply promise, unless this device is
   * saving new ones, or clearing them (`savingHours`): a linked device's profile may hold none, or older ones than
   * another device published since.
   */
  private selfEntry(savingHours = false): PersonEntry {
    const { replaces, nickname } = this.currentRecord;
    const entry = this.people().get(this.me);
    const published = entry?.hours && !savingHours ? entry : undefined;
    const hours = published?.hours ?? this.profile.hours;
    return {
      name: nickname ?? this.profile.name,
      role: this.profile.role,
      replyPromise: published ? published.replyPromise : this.profile.replyPromise,
      ...(replaces ? { replaces } : {}),
      ...(nickname ? { nickname: true } : {}),
      ...(hours ? { hours } : {}),
    };
  }

  /**
   * Take up a changed profile (new office hours, or none): rewrite this person's introduction, if they have made it here and it
   * now says something else. Queued like a message.
   */
  async refreshIntroduction(profile: Profile): Promise<void> {
    this.profile = profile;
    const people = this.doc.getMap(DOC_ROOT.people);
    if (!people.has(this.me) || !this.isMember) return;
    const current = PersonEntry.safeParse(people.get(this.me));
    const next = this.selfEntry(true);
    if (current.success && JSON.stringify(current.data) === JSON.stringify(PersonEntry.parse(next))) return;
    await this.commit(() => this.doc.getMap(DOC_ROOT.people).set(this.me, next));
  }

  /**
   * Send the away message if one is due (`awayReply.ts`). Only once caught up, so the day's entry written by another
   * of this person's devices is seen; the check and the write are one transaction.
   */
  private async replyWhenAway(): Promise<void> {
    if (!this.sync.caughtUp || !this.isMember || this.isPractice) return;
    const now = Date.now();
    const away = this.doc.getMap(AWAY_MAP);
    const entries = this.entries();
    const running = this.runningMessagingSession(now);
    const due = awayReplyDue({ me: this.me, people: this.people(), entries, away, running, now });
    if (!due) return;
    // No await between the check above and the transaction below: nothing else can write the day's entry between.
    const id = crypto.randomUUID();
    const n = entries.filter((e) => e.by === this.me).length + 1;
    const entry: MessageEntry = { id, by: this.me, n, text: due.text, at: now, auto: 'away' };
    this.saving.add(id);
    try {
      await this.commit(() => {
        away.set(due.day, { id, by: this.me, at: now });
        this.doc.getArray(DOC_ROOT.messages).push([entry]);
      }, id);
    } finally {
      this.saving.delete(id);
    }
  }

  private async introduce(): Promise<void> {
    const { replaces } = this.currentRecord;
    const person = this.selfEntry();
    const started = toHex(fromBase64Url(this.currentRecord.creator)) === this.me;
    await this.commit(() => {
      this.doc.getMap(DOC_ROOT.people).set(this.me, person);
      const trail = [this.auditEntry(started ? 'created' : 'joined')];
      if (replaces) trail.push(this.auditEntry('key-changed', replaces));
      this.doc.getArray(DOC_ROOT.audit).push(trail);
      if (this.profile.role === 'therapist' && !this.topic && !this.membership.hasLog && !this.isPractice) {
        this.doc.getMap('meta').set('topic', `Messages with ${this.profile.name}`);
      }
    });
  }

  private async handleSyncEvent(event: RoomEvent): Promise<void> {
    if (event.type === 'statuses') {
      for (const change of event.changes) {
        this.statusCache.set(change.messageId, { state: change.state, reason: change.reason });
      }
      this.viewCache = null;
    }
    if (event.type === 'rejected') this.rejectedCount = (await this.sync.rejections()).length;
    if (event.type === 'remote') this.scheduleReceipts();
    if (event.type === 'caughtUp' && this.introducePending) {
      this.introducePending = false;
      await this.introduceWhenReady();
    }
    if (event.type === 'remote' || event.type === 'caughtUp') {
      this.replyWhenAway().catch((error) => console.warn('hearth: could not send the away message', error));
    }
    if (event.type === 'accessLost') this.accessLost = true;
    this.notify();
  }

  private scheduleReceipts(): void {
    if (this.receiptTimer) return;
    this.receiptTimer = setTimeout(() => {
      this.receiptTimer = null;
      void this.writeReceipts();
    }, RECEIPT_DELAY_MS);
  }

  /** Delivered: everything stored here. Read: everything shown, when the view said so. Only ever moves up. */
  private async writeReceipts(): Promise<void> {
    const current = this.receiptsOf(this.me);
    const next: ReceiptEntry = structuredClone(current);
    let changed = false;
    for (const entry of this.entries()) {
      if (entry.by === this.me) continue;
      const mark = (next[entry.by] ??= { delivered: 0, read: 0 });
      if (entry.n > mark.delivered) {
        mark.delivered = entry.n;
        changed = true;
      }
      if (this.pendingRead && entry.n > mark.read) {
        mark.read = entry.n;
        changed = true;
      }
    }
    this.pendingRead = false;
    if (changed) await this.commit(() => this.doc.getMap(DOC_ROOT.receipts).set(this.me, next));
  }

  /** A local change, durably queued, then shown. */
  private async commit(change: () => void, messageId: string | null = null): Promise<void> {
    try {
      await this.sync.commit(change, messageId);
    } finally {
      this.viewCache = null;
      this.notify();
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
