import * as Y from 'yjs';
import type { HearthDb } from '../store/db';
import {
  RoomSync,
  REMOTE_ORIGIN,
  type Keyring,
  type RelayConnection,
  type RoomEvent,
  type RoomTrust,
  fromBase64Url,
  safetyNumber,
} from '../sync';
import { fromHex, toHex } from '../protocol/hex';
import { validateMessage } from './errors';
import { advance, type MessageState } from './messageState';
import {
  AuditEntry,
  MessageEntry,
  PersonEntry,
  ReceiptEntry,
  type Profile,
  type RoomRecord,
} from './schemas';

/** A message as the conversation view shows it. */
export interface MessageView {
  id: string;
  text: string;
  at: number;
  mine: boolean;
  authorName: string;
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
  kind: AuditEntry['kind'];
  at: number;
  text: string;
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

  constructor(
    db: HearthDb,
    connection: RelayConnection,
    private readonly keyring: Keyring,
    record: RoomRecord,
    private readonly profile: Profile,
    private readonly saveRecord: (record: RoomRecord) => Promise<void>,
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
    this.sync = new RoomSync({
      db,
      connection,
      keyring,
      room: fromHex(record.room),
      epoch: record.epoch,
      keys,
      trust: this.trust,
      doc: this.doc,
    });
    this.sync.on((event) => void this.handleSyncEvent(event));
    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      this.entriesCache = null;
      this.viewCache = null;
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
    this.sync.start();
    // A linked device acts for an identity that its first device has usually introduced already, but a newly linked
    // one has none of the history yet: it waits until caught up, so it never repeats "joined" in the audit trail.
    if (this.keyring.linked && !this.sync.caughtUp) this.introducePending = true;
    else await this.introduceIfNew();
    this.notify();
  }

  private async introduceIfNew(): Promise<void> {
    if (!this.doc.getMap('people').has(this.me)) await this.introduce();
  }

  close(): void {
    if (this.receiptTimer) clearTimeout(this.receiptTimer);
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
    await this.saveRecord(next);
    this.currentRecord = next;
    this.notify();
  }

  /** Accept members who claim this invite (one this device made), from now on. */
  trustInvite(secret: Uint8Array): void {
    this.trust.inviteSecrets.push(secret);
  }

  get topic(): string {
    const topic = this.doc.getMap('meta').get('topic');
    return typeof topic === 'string' ? topic : '';
  }

  /**
   * Everyone who has introduced themselves in this conversation, by device key. Until the inviter's own
   * introduction arrives, the inviter is known from the signed invite, so a client who joins while the therapist
   * is offline still sees who they are writing to and when to expect a reply.
   */
  people(): Map<string, PersonEntry> {
    const out = new Map<string, PersonEntry>();
    const { inviter, creator } = this.record;
    if (inviter) out.set(toHex(fromBase64Url(creator)), { ...inviter, role: 'therapist' });
    this.doc.getMap('people').forEach((value, key) => {
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

  /** The conversation's audit trail, oldest first, in words. */
  auditTrail(): AuditView[] {
    const people = this.people();
    const name = (key: string | undefined) =>
      key === undefined ? 'Someone' : key === this.me ? 'You' : (people.get(key)?.name ?? 'Someone');
    const out: AuditView[] = [];
    for (const value of this.doc.getArray('audit').toArray()) {
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
    return out.sort((a, b) => a.at - b.at);
  }

  /** Add a line to the audit trail (sent encrypted like a message). */
  async recordAudit(kind: AuditEntry['kind'], subject?: string): Promise<void> {
    const entry = this.auditEntry(kind, subject);
    await this.commit(() => this.doc.getArray('audit').push([entry]));
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
    for (const entry of this.entries()) {
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
        authorName: people.get(entry.by)?.name ?? 'Someone',
        state,
        failedReason,
      });
    }
    return out;
  }

  /** Messages from others that this device has not yet shown as read. */
  unreadCount(): number {
    const mine = this.receiptsOf(this.me);
    return this.entries().filter((e) => e.by !== this.me && e.n > (mine[e.by]?.read ?? 0)).length;
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
      await this.commit(() => this.doc.getArray('messages').push([entry]), id);
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
    for (const value of this.doc.getArray('messages').toArray()) {
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
    const parsed = ReceiptEntry.safeParse(this.doc.getMap('receipts').get(reader));
    return parsed.success ? parsed.data : {};
  }

  /** The furthest any other device has confirmed for this device's messages. */
  private highestReceipt(kind: 'delivered' | 'read'): number {
    let best = 0;
    this.doc.getMap('receipts').forEach((value, reader) => {
      if (reader === this.me) return;
      const parsed = ReceiptEntry.safeParse(value);
      if (parsed.success) best = Math.max(best, parsed.data[this.me]?.[kind] ?? 0);
    });
    return best;
  }

  private async introduce(): Promise<void> {
    const { replaces } = this.currentRecord;
    const person: PersonEntry = {
      name: this.profile.name,
      role: this.profile.role,
      replyPromise: this.profile.replyPromise,
      ...(replaces ? { replaces } : {}),
    };
    const started = toHex(fromBase64Url(this.currentRecord.creator)) === this.me;
    await this.commit(() => {
      this.doc.getMap('people').set(this.me, person);
      const trail = [this.auditEntry(started ? 'created' : 'joined')];
      if (replaces) trail.push(this.auditEntry('key-changed', replaces));
      this.doc.getArray('audit').push(trail);
      if (this.profile.role === 'therapist' && !this.topic) {
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
      await this.introduceIfNew();
    }
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
    if (changed) await this.commit(() => this.doc.getMap('receipts').set(this.me, next));
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
