import * as Y from 'yjs';
import { bytesEqual, toHex } from '../protocol/hex';
import type { Delivery, Frame, FrameOf, Member, RoomDevice } from '../protocol/frames';
import type { CursorRow, EnvelopeRow, HearthDb, MessageState, OutboxRow } from '../store/db';
import { advance } from '../store/messageState';
import { backgroundTurn } from './backgroundTurn';
import { openUpdate, peekEnvelope, sealUpdate } from './envelopeSeal';
import type { Keyring } from './keyring';
import { authorStanding, verifiedDevices, type TrustedDevice } from './deviceTrust';
import { EntryAuthorship } from './entryAuthorship';
import { verifiedClaimers, verifiedMembers, type RoomTrust } from './memberTrust';
import { isStuck, REPAIR_MAP, repairRequest, repairResponse } from './repair';
import type { RelayConnection } from './relayConnection';
import { fetchSnapshot, publishSnapshot, storeAdoptedSnapshot, type SnapshotFetch } from './roomSnapshots';
import { openSnapshot, SNAPSHOT_AFTER_ENVELOPES } from './snapshot';

/** Origin of updates that came from the store or the relay: they are never sent again. */
export const REMOTE_ORIGIN = Symbol('remote');

/** Origin of a local change made through `commit`, carrying the message id it writes, if any. */
class LocalChange {
  done: Promise<void> | null = null;
  constructor(readonly messageId: string | null) {}
}

/**
 * What the room's membership log says about authors (see `RoomMembership`): the identities it names, and whether an
 * envelope at a seq was written while its author belonged.
 */
export interface MembershipView {
  identities(): Iterable<string>;
  standing(identity: string, seq: number): 'member' | 'not_a_member' | 'unknown';
  /**
   * True while new writes must wait: the log has not been read on this connection yet, or it is in an epoch whose key
   * this device does not hold yet (someone left: nothing goes out under the key they had).
   */
  holdsWrites(epoch: number): boolean;
  /** The relay's member list changed (someone claimed an invite): the manager's device writes them into the log. */
  membersChanged(): void;
}

export interface RoomSyncOptions {
  db: HearthDb;
  connection: RelayConnection;
  keyring: Keyring;
  room: Uint8Array;
  /**
   * The room's keys by epoch, shared with whoever adopts new ones (`RoomMembership`): new writes are sealed under the
   * highest epoch held.
   */
  keys: Map<number, Uint8Array>;
  trust: RoomTrust;
  doc: Y.Doc;
  /** The room's membership log, once it has one. */
  membership?: MembershipView;
  /** Upload a snapshot after this many envelopes past the last known one (SNAPSHOT_AFTER_ENVELOPES). */
  snapshotEvery?: number;
}

/** A message of this device's whose state moved. */
export interface StatusChange {
  messageId: string;
  state: MessageState;
  reason: string | null;
}

export type RoomEvent =
  | { type: 'statuses'; changes: StatusChange[] }
  | { type: 'remote'; authors: string[] }
  | { type: 'rejected'; reason: string }
  | { type: 'caughtUp' }
  | { type: 'accessLost'; message: string };

/** Relay errors about an append that retrying cannot fix: the message is marked failed with the reason. */
const PERMANENT_APPEND_ERRORS = new Set([
  'device_revoked',
  'not_a_member',
  'envelope_too_large',
  'bad_signature',
  'wrong_author',
]);

/** Relay errors about an append that go away by waiting: resend the outbox after a pause. */
const RETRY_LATER_ERRORS = new Set(['rate_limited', 'clock_out_of_order', 'storage_failed', 'shutting_down']);
const RETRY_DELAY_MS = 2_000;
/** Stored envelopes opened between two turns for the page when a room loads. */
const LOAD_SLICE = 100;
const MEMBERSHIP_RETRIES = 3;
const MEMBERSHIP_RETRY_DELAY_MS = 1_000;

/**
 * The encrypted Yjs provider for one room. Write path: local Y.Doc update -> seal -> outbox (one strict
 * transaction) -> relay. Read path: relay -> verify -> decrypt -> store -> apply to the Y.Doc. The store is
 * written before memory changes, so a crash between the two loses nothing.
 */
export class RoomSync {
  readonly roomHex: string;
  private readonly opts: RoomSyncOptions;
  /** The person this device acts for: the name its entries are written in. */
  private readonly identityHex: string;
  /** Hex signing keys of the member identities this device verified (by invite, or named in the membership log). */
  private members = new Set<string>();
  /** The relay's last member and device lists for the room (re-verified when the membership log changes). */
  private lastMembers: Member[] = [];
  private lastDevices: RoomDevice[] = [];
  /** Devices acting for those identities (certified), and revoked identity keys, by hex signing key. */
  private devices = new Map<string, TrustedDevice>();
  private inbound: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(event: RoomEvent) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private sending = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private caughtUpValue = false;
  /** Highest snapshot seq this device knows of (loaded, adopted, offered or stored by it): the upload policy's base. */
  private knownSnapshotSeq = 0;
  /** The SNAPSHOT frame being adopted; a later one (a newer SUBSCRIBE_LATEST) supersedes it. */
  private pendingSnapshot: FrameOf<'snapshot'> | null = null;
  /** Snapshots (by hash) this device refused: offered again, it goes straight to reading from seq 0. */
  private readonly refusedSnapshots = new Set<string>();
  /**
   * Set once a snapshot could not be adopted: the relay may still send pages of that snapshot's tail, and applying
   * them with no history before them would record each author's clock too high. Pages that would leave a hole
   * before them are dropped; the subscription from seq 0 that follows starts at seq 1.
   */
  private dropPagesPastCursor = false;
  /** Resubscribes in a row to learn of a member an envelope claims to be from; past the limit it is refused. */
  private membershipRetries = 0;
  private snapshotting = false;
  /** Local changes so far, and those not yet settled in the outbox: a snapshot is taken only while none is. */
  private localChanges = 0;
  private localInFlight = 0;
  /** A local change never reached the outbox: the document holds something the record does not, so no snapshots. */
  private docAheadOfRecord = false;
  /** The last repair request this device published, and the requests from others it has answered. */
  private lastRepairRequest = '';
  private readonly answeredRepairs = new Set<string>();

  constructor(opts: RoomSyncOptions) {
    this.opts = opts;
    this.roomHex = toHex(opts.room);
    this.identityHex = toHex(opts.keyring.identity.signPublic);
    this.members = new Set([
      toHex(opts.trust.creator),
      toHex(opts.keyring.identity.signPublic),
      ...(opts.membership?.identities() ?? []),
    ]);
    this.devices = this.withOwnDevice(new Map());
  }

  /** This device always trusts itself as acting for its own identity. */
  private withOwnDevice(devices: Map<string, TrustedDevice>): Map<string, TrustedDevice> {
    const { keyring } = this.opts;
    if (keyring.linked) {
      devices.set(toHex(keyring.signPublic), {
        identity: toHex(keyring.identity.signPublic),
        revokedAt: 0,
        lastSeq: 0,
        boxPublic: keyring.boxPublic,
      });
    }
    return devices;
  }

  /** Every key whose signature this device accepts now (for snapshots): members and their active devices. */
  private trustedAuthors(): Set<string> {
    const out = new Set(this.members);
    for (const [key, device] of this.devices) {
      if (device.revokedAt === 0 && this.members.has(device.identity)) out.add(key);
      else if (device.revokedAt > 0) out.delete(key);
    }
    return out;
  }

  get caughtUp(): boolean {
    return this.caughtUpValue;
  }

  /** The epoch new writes are sealed under: the highest whose key this device holds (-1 while it holds none). */
  get epoch(): number {
    return this.opts.keys.size === 0 ? -1 : Math.max(...this.opts.keys.keys());
  }

  /** Run `task` in order with the room's inbound work (a key or log change before the envelopes that need it). */
  runInOrder(task: () => Promise<void>): void {
    this.serially(task);
  }

  /** The box keys of an identity's active devices this device verified (certificates in DEVICES), besides its own. */
  linkedBoxKeys(identity: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const [key, device] of this.devices) {
      if (device.identity === identity && device.revokedAt === 0 && key !== identity)
        out.push(device.boxPublic);
    }
    return out;
  }

  /** The member identity an active device acts for, as this device verified it (its own key, or a certificate). */
  deviceIdentity(device: string): string | null {
    const trusted = this.devices.get(device);
    if (trusted)
      return trusted.revokedAt === 0 && this.members.has(trusted.identity) ? trusted.identity : null;
    return this.members.has(device) ? device : null;
  }

  /** Subscribe again (after being let back into a room that had shut this device out). */
  resubscribe(): void {
    if (this.opts.connection.status === 'online') void this.subscribe();
  }

  /** Members the relay lists whose invite claim this device can verify (it holds the invite secret). */
  verifiedClaimers(): Member[] {
    return verifiedClaimers(this.opts.trust, this.lastMembers);
  }

  /** The membership log changed: authors it names become verified members (their devices, once DEVICES lists them). */
  membershipChanged(): void {
    this.members = this.verifiedMemberSet(this.lastMembers);
    this.devices = this.withOwnDevice(verifiedDevices(this.lastDevices, this.members));
  }

  /**
   * New keys arrived: envelopes refused earlier because this device lacked their epoch's key (a member who was added
   * to the log after the room moved on, or a key bundle that overtook nothing) are opened and applied now.
   */
  keysChanged(): void {
    this.serially(async () => {
      await this.reopenUnreadable();
      void this.flush();
    });
  }

  /** The membership log was read, or moved on: writes held back for it may go now. */
  writesMayResume(): void {
    void this.flush();
  }

  private verifiedMemberSet(members: Member[]): Set<string> {
    const out = verifiedMembers(this.opts.trust, members);
    out.add(toHex(this.opts.keyring.identity.signPublic));
    for (const identity of this.opts.membership?.identities() ?? []) out.add(identity);
    return out;
  }

  on(listener: (event: RoomEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Rebuild the document from what this device has stored: the room's snapshot if it has one, then accepted
   * envelopes after it by seq, then the outbox.
   */
  async load(): Promise<void> {
    const { db, doc } = this.opts;
    let state: Uint8Array | null = null;
    let afterSeq = 0;
    const snapshot = await db.snapshots.get(this.roomHex);
    if (snapshot) {
      const opened = openSnapshot(snapshot.bytes, this.opts.room, (epoch) => this.opts.keys.get(epoch));
      if (opened.ok) {
        state = opened.state;
        afterSeq = snapshot.upToSeq;
        this.knownSnapshotSeq = snapshot.upToSeq;
      } else {
        // It verified when it was stored, so only lost keys or a damaged profile get here: load what there is.
        console.error('hearth: the stored snapshot of a room no longer opens', opened.reason);
      }
    }
    const stored = await db.envelopes
      .where('[room+seq]')
      .between([this.roomHex, afterSeq + 1], [this.roomHex, Infinity])
      .toArray();
    const queued = await db.outbox
      .where('[room+clock]')
      .between([this.roomHex, 0], [this.roomHex, Infinity])
      .toArray();
    const rows = [...stored.filter((r) => r.rejected === null), ...queued];
    const updates: Uint8Array[] = [];
    for (const [i, row] of rows.entries()) {
      // A long tail takes a while to verify and open: the page gets a turn now and then (nothing reads the
      // document until load resolves).
      if (i > 0 && i % LOAD_SLICE === 0) await backgroundTurn();
      const opened = openUpdate(row.bytes, (epoch) => this.opts.keys.get(epoch));
      if (opened.ok) updates.push(opened.update);
    }
    if (state) await backgroundTurn();
    // The snapshot is already one update: merged with the tail it would be decoded and encoded again in full.
    doc.transact(() => {
      if (state) Y.applyUpdate(doc, state, REMOTE_ORIGIN);
      if (updates.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(updates), REMOTE_ORIGIN);
    }, REMOTE_ORIGIN);
    doc.on('update', this.handleLocalUpdate);
  }

  /** Join the relay conversation: subscribe and send the outbox on every (re)connect. */
  start(): void {
    const { connection } = this.opts;
    this.unsubscribers.push(
      connection.onFrame((frame) => this.handleFrame(frame)),
      connection.onReady(() => void this.subscribe()),
      connection.onStatus((status) => {
        if (status !== 'online') this.caughtUpValue = false;
      }),
      connection.onRevoked(() => this.serially(() => this.failUnsent('device_revoked'))),
    );
    if (connection.status === 'online') void this.subscribe();
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.opts.doc.off('update', this.handleLocalUpdate);
    for (const off of this.unsubscribers.splice(0)) off();
  }

  /**
   * Make a local change and resolve once it is durably queued in the outbox. `messageId` ties the envelope to
   * the message it carries, so the message's state can follow the envelope.
   */
  commit(change: () => void, messageId: string | null = null): Promise<void> {
    const origin = new LocalChange(messageId);
    this.opts.doc.transact(change, origin);
    return origin.done ?? Promise.resolve();
  }

  /** States of this device's messages in the room, by message id. */
  async statuses(): Promise<Map<string, { state: MessageState; reason: string | null }>> {
    const rows = await this.opts.db.statuses.where('room').equals(this.roomHex).toArray();
    return new Map(rows.map((row) => [row.messageId, { state: row.state, reason: row.reason }]));
  }

  /** How many envelopes of this room were refused, and why (what the conversation shows). */
  async rejections(): Promise<{ reason: string; author: string }[]> {
    // Only refused envelopes are in this index (an accepted one's null is no key), so a long room costs nothing.
    const rows = await this.opts.db.envelopes
      .where('[room+rejected]')
      .between([this.roomHex, ''], [this.roomHex, '\uffff'], true, true)
      .toArray();
    return rows.map((r) => ({ reason: r.rejected as string, author: r.author }));
  }

  private readonly handleLocalUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === REMOTE_ORIGIN) return;
    this.localChanges++;
    this.localInFlight++;
    const messageId = origin instanceof LocalChange ? origin.messageId : null;
    const done = this.enqueue(update, messageId)
      .catch((error: unknown) => {
        this.docAheadOfRecord = true;
        throw error;
      })
      .finally(() => this.localInFlight--);
    if (origin instanceof LocalChange) origin.done = done;
    else done.catch((error) => console.error('hearth: could not queue a change', error));
  };

  private async enqueue(update: Uint8Array, messageId: string | null): Promise<void> {
    const { db, keyring, room, keys } = this.opts;
    const epoch = this.epoch;
    const roomKey = keys.get(epoch);
    if (!roomKey) throw new Error('no key for the current epoch');
    await db.transaction('rw', db.cursors, db.outbox, db.statuses, async () => {
      const cursor = (await db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
      const clock = cursor.clock + 1;
      const sealed = sealUpdate({ room, author: keyring, epoch, roomKey, clock, update });
      const id = toHex(sealed.id);
      await db.cursors.put({ ...cursor, clock });
      await db.outbox.add({
        id,
        room: this.roomHex,
        clock,
        bytes: sealed.bytes,
        messageId,
        createdAt: Date.now(),
      });
      if (messageId) {
        await db.statuses.put({
          messageId,
          room: this.roomHex,
          envelopeId: id,
          state: 'queued',
          seq: null,
          reason: null,
        });
      }
    });
    if (messageId) this.emit({ type: 'statuses', changes: [{ messageId, state: 'queued', reason: null }] });
    if (this.opts.connection.revoked) this.serially(() => this.failUnsent('device_revoked'));
    else void this.flush();
  }

  /**
   * Seal unsent envelopes of an older epoch again under the newest key, keeping their id and clock (so a retry of one
   * the relay already stored is still answered with its seq). Someone who left never gets what was written here
   * while this device did not yet know.
   */
  private async resealUnderNewestKey(rows: OutboxRow[]): Promise<OutboxRow[]> {
    const { db, keys, keyring, room } = this.opts;
    const epoch = this.epoch;
    const roomKey = keys.get(epoch);
    if (!roomKey || rows.every((row) => peekEnvelope(row.bytes).epoch >= epoch)) return rows;
    return db.transaction('rw', db.outbox, async () => {
      const out: OutboxRow[] = [];
      for (const row of rows) {
        const opened = openUpdate(row.bytes, (e) => keys.get(e));
        if (!opened.ok || opened.envelope.epoch >= epoch) {
          out.push(row);
          continue;
        }
        const { bytes } = sealUpdate({
          room,
          author: keyring,
          epoch,
          roomKey,
          clock: row.clock,
          update: opened.update,
          id: opened.envelope.id,
        });
        const resealed = { ...row, bytes };
        await db.outbox.put(resealed);
        out.push(resealed);
      }
      return out;
    });
  }

  /** This device can never send again (it was removed): say so on every message still waiting here. */
  private async failUnsent(reason: string): Promise<void> {
    const { db } = this.opts;
    const changes = await db.transaction('rw', db.outbox, db.statuses, async () => {
      const rows = await db.outbox.where('room').equals(this.roomHex).toArray();
      const moved: StatusChange[] = [];
      for (const row of rows) {
        const change = row.messageId ? await this.moveStatus(row.messageId, 'failed', null, reason) : null;
        if (change) moved.push(change);
      }
      return moved;
    });
    if (changes.length > 0) this.emit({ type: 'statuses', changes });
  }

  /** Subscribe from the cursor; a device with nothing of the room yet asks for the latest snapshot first. */
  private async subscribe(): Promise<void> {
    const { connection, room } = this.opts;
    const cursor = (await this.opts.db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
    if (cursor.seq === 0 && !(await this.hasHistory())) connection.send({ type: 'subscribeLatest', room });
    else connection.send({ type: 'subscribe', room, afterSeq: cursor.seq });
    await this.flush();
  }

  private async hasHistory(): Promise<boolean> {
    const { db } = this.opts;
    const envelope = await db.envelopes.where('room').equals(this.roomHex).first();
    return envelope !== undefined || (await db.snapshots.get(this.roomHex)) !== undefined;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, RETRY_DELAY_MS);
  }

  /**
   * Send the whole outbox in clock order. Retries are safe: the relay acks a known id with its seq. Envelopes sealed
   * under an older key than the newest held (written offline before someone left) are sealed again first.
   */
  private async flush(): Promise<void> {
    if (this.sending || this.opts.connection.status !== 'online') return;
    if (this.opts.membership?.holdsWrites(this.epoch)) return;
    this.sending = true;
    try {
      const rows = await this.resealUnderNewestKey(
        await this.opts.db.outbox
          .where('[room+clock]')
          .between([this.roomHex, 0], [this.roomHex, Infinity])
          .toArray(),
      );
      for (const row of rows) {
        if (!this.opts.connection.send({ type: 'append', envelope: row.bytes })) break;
      }
    } finally {
      this.sending = false;
    }
  }

  private handleFrame(frame: Frame): void {
    switch (frame.type) {
      case 'members':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.lastMembers = frame.members;
          this.lastDevices = [];
          this.members = this.verifiedMemberSet(frame.members);
          // A DEVICES frame follows when there are any: MEMBERS alone means none.
          this.devices = this.withOwnDevice(new Map());
          this.opts.membership?.membersChanged();
        }
        return;
      case 'devices':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.lastDevices = frame.devices;
          this.devices = this.withOwnDevice(verifiedDevices(frame.devices, this.members));
        }
        return;
      case 'snapshot':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.pendingSnapshot = frame;
          this.serially(() => this.adoptSnapshot(frame));
        }
        return;
      case 'deliver':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.serially(async () => {
            await this.receive(frame.deliveries);
            await this.maybeSnapshot();
          });
        }
        return;
      case 'ack':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.serially(async () => {
            await this.acknowledge(toHex(frame.id), frame.seq);
            await this.maybeSnapshot();
          });
        }
        return;
      case 'caughtUp':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.serially(async () => {
            this.caughtUpValue = true;
            this.emit({ type: 'caughtUp' });
            this.requestRepairIfStuck();
            await this.maybeSnapshot();
          });
        }
        return;
      case 'error':
        this.serially(() => this.handleError(frame));
        return;
    }
  }

  private serially(task: () => Promise<void>): void {
    this.inbound = this.inbound.then(task).catch((error) => console.error('hearth: sync step failed', error));
  }

  private async handleError(frame: Extract<Frame, { type: 'error' }>): Promise<void> {
    if (bytesEqual(frame.ref, this.opts.room) && frame.code === 'not_a_member') {
      this.emit({ type: 'accessLost', message: 'You are no longer a member of this conversation.' });
      return;
    }
    const envelopeId = toHex(frame.ref);
    const { db } = this.opts;
    const row = await db.outbox.get(envelopeId);
    if (!row || row.room !== this.roomHex) return;
    if (RETRY_LATER_ERRORS.has(frame.code)) {
      // The relay refused for now (rate limit, a clock it has not caught up with): the outbox keeps the envelope
      // and sends it again shortly. Retries are idempotent, so resending what was already stored is harmless.
      this.scheduleRetry();
      return;
    }
    if (PERMANENT_APPEND_ERRORS.has(frame.code) && row.messageId) {
      const messageId = row.messageId;
      const change = await db.transaction('rw', db.statuses, () =>
        this.moveStatus(messageId, 'failed', null, frame.code),
      );
      if (change) this.emit({ type: 'statuses', changes: [change] });
    }
  }

  /** The relay stored our envelope as `seq`: move it from the outbox to the store and mark its message sent. */
  private async acknowledge(envelopeId: string, seq: number): Promise<void> {
    const { db } = this.opts;
    const change = await db.transaction('rw', db.outbox, db.envelopes, db.statuses, db.cursors, async () => {
      const row = await db.outbox.get(envelopeId);
      if (!row) return null;
      const author = toHex(this.opts.keyring.signPublic);
      await db.outbox.delete(envelopeId);
      await db.envelopes.put({
        room: this.roomHex,
        seq,
        id: envelopeId,
        author,
        bytes: row.bytes,
        rejected: null,
      });
      const cursor = (await db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
      await db.cursors.put(seenClock(cursor, author, row.clock));
      const moved = row.messageId ? await this.moveStatus(row.messageId, 'sent', seq) : null;
      await this.advanceCursor();
      return moved;
    });
    if (change) this.emit({ type: 'statuses', changes: [change] });
  }

  /** Verify, store, then apply a page of envelopes the relay delivered in seq order. */
  private async receive(deliveries: Delivery[]): Promise<void> {
    const { db } = this.opts;
    const accepted: Uint8Array[] = [];
    const authors = new Set<string>();
    let rejectedReason: string | null = null;
    const changes: StatusChange[] = [];
    let awaitingMembers = false;
    // The page is applied at once after the loop: each envelope is checked against the ones accepted before it.
    const authorship = new EntryAuthorship(this.opts.doc);
    await db.transaction('rw', [db.envelopes, db.cursors, db.outbox, db.statuses], async () => {
      const cursor = (await db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
      if (this.dropPagesPastCursor && deliveries.length > 0 && deliveries[0].seq > cursor.seq + 1) return;
      for (const delivery of deliveries) {
        if (await db.envelopes.get([this.roomHex, delivery.seq])) continue;
        const outcome = await this.check(delivery, cursor, authorship);
        if (outcome.kind === 'own') {
          if (outcome.change) changes.push(outcome.change);
          continue;
        }
        if (outcome.row.rejected === 'unknown_author' && this.membershipRetries < MEMBERSHIP_RETRIES) {
          // A new member's first envelope can overtake the member list that admits them (another relay process
          // forwards it first). Stop here and subscribe again: the relay sends MEMBERS before the envelopes.
          awaitingMembers = true;
          break;
        }
        await db.envelopes.put(outcome.row);
        if (outcome.row.rejected !== null) rejectedReason = outcome.row.rejected;
        else {
          accepted.push(outcome.update);
          authors.add(outcome.row.author);
        }
      }
      await db.cursors.put(cursor);
      await this.advanceCursor();
    });
    if (accepted.length > 0) {
      Y.applyUpdate(this.opts.doc, Y.mergeUpdates(accepted), REMOTE_ORIGIN);
      this.emit({ type: 'remote', authors: [...authors] });
      this.answerRepairs();
      if (this.caughtUpValue) this.requestRepairIfStuck();
    }
    if (changes.length > 0) this.emit({ type: 'statuses', changes });
    if (rejectedReason) this.emit({ type: 'rejected', reason: rejectedReason });
    if (awaitingMembers) {
      this.membershipRetries++;
      this.dropPagesPastCursor = true;
      setTimeout(() => void this.subscribe(), MEMBERSHIP_RETRY_DELAY_MS);
    } else if (accepted.length > 0) {
      this.membershipRetries = 0;
    }
  }

  /** Stuck behind a refused envelope: ask the others for what is missing (and withdraw the ask once unstuck). */
  private requestRepairIfStuck(): void {
    const { doc } = this.opts;
    const map = doc.getMap(REPAIR_MAP);
    const me = toHex(this.opts.keyring.signPublic);
    if (!isStuck(doc)) {
      this.lastRepairRequest = '';
      if (map.has(me)) void this.commit(() => map.delete(me));
      return;
    }
    const request = repairRequest(doc);
    if (request === this.lastRepairRequest || map.get(me) === request) return;
    this.lastRepairRequest = request;
    void this.commit(() => map.set(me, request));
  }

  /** Send what another stuck device lacks, once per request. */
  private answerRepairs(): void {
    const { doc } = this.opts;
    const me = toHex(this.opts.keyring.signPublic);
    doc.getMap(REPAIR_MAP).forEach((request, requester) => {
      if (requester === me || typeof request !== 'string' || this.answeredRepairs.has(request)) return;
      this.answeredRepairs.add(request);
      // Only what this person wrote: others' entries in this device's update would be refused as forged.
      const update = repairResponse(doc, request, this.identityHex);
      if (update) void this.enqueue(update, null);
    });
  }

  /** Decide what a delivered envelope is: ours coming back, accepted, or refused with a reason. */
  private async check(
    delivery: Delivery,
    cursor: CursorRow,
    authorship: EntryAuthorship,
  ): Promise<
    { kind: 'own'; change: StatusChange | null } | { kind: 'row'; row: EnvelopeRow; update: Uint8Array }
  > {
    const { db } = this.opts;
    const base = { room: this.roomHex, seq: delivery.seq, bytes: delivery.envelope };
    let header;
    try {
      header = peekEnvelope(delivery.envelope);
    } catch {
      return {
        kind: 'row',
        row: { ...base, id: '', author: '', rejected: 'malformed' },
        update: new Uint8Array(),
      };
    }
    const id = toHex(header.id);
    const author = toHex(header.author);
    const refuse = (reason: string) => ({
      kind: 'row' as const,
      row: { ...base, id, author, rejected: reason },
      update: new Uint8Array(),
    });
    const queued = await db.outbox.get(id);
    if (queued && bytesEqual(queued.bytes, delivery.envelope)) {
      // Our own envelope, stored by the relay while its ack was lost: the delivery is the ack.
      await db.outbox.delete(id);
      await db.envelopes.put({ ...base, id, author, rejected: null });
      seenClock(cursor, author, header.clock);
      const change = queued.messageId ? await this.moveStatus(queued.messageId, 'sent', delivery.seq) : null;
      return { kind: 'own', change };
    }
    if (!bytesEqual(header.room, this.opts.room)) return refuse('wrong_room');
    const standing = authorStanding(author, delivery.seq, this.members, this.devices);
    if (!standing.ok) return refuse(standing.reason);
    // A member who left or was removed wrote nothing the relay may store after that change.
    if (this.opts.membership?.standing(standing.identity, delivery.seq) === 'not_a_member') {
      return refuse('not_a_member');
    }
    const opened = openUpdate(delivery.envelope, (epoch) => this.opts.keys.get(epoch));
    if (!opened.ok) return refuse(opened.reason);
    const lastClock = cursor.authors[author] ?? 0;
    if (header.clock <= lastClock) return refuse('replayed');
    // Last, so that an update that passes is one that is applied: later ones in the page may build on it.
    const verdict = authorship.check(opened.update, standing.identity);
    if (verdict !== 'ok') return refuse(verdict);
    seenClock(cursor, author, header.clock);
    return { kind: 'row', row: { ...base, id, author, rejected: null }, update: opened.update };
  }

  /**
   * A new device was offered the room's snapshot (SUBSCRIBE_LATEST): adopt it, so catch-up is the tail after it,
   * or fall back to reading every envelope from seq 0. Runs in the inbound queue, so the tail pages that follow
   * the SNAPSHOT frame wait until the cursor stands at the snapshot (or are dropped if it was refused).
   */
  private async adoptSnapshot(frame: FrameOf<'snapshot'>): Promise<void> {
    const { connection, room } = this.opts;
    this.knownSnapshotSeq = Math.max(this.knownSnapshotSeq, frame.upToSeq);
    if (this.pendingSnapshot !== frame) return;
    const hashHex = toHex(frame.hash);
    const fetched: SnapshotFetch = this.refusedSnapshots.has(hashHex)
      ? { kind: 'refused', reason: 'refused before' }
      : await fetchSnapshot({
          connection,
          room,
          keys: this.opts.keys,
          members: this.trustedAuthors(),
          frame,
        });
    const current = this.pendingSnapshot === frame;
    if (current) this.pendingSnapshot = null;
    if (current && fetched.kind === 'opened') {
      if (await storeAdoptedSnapshot(this.opts.db, this.roomHex, fetched)) {
        await this.advanceCursor();
        Y.applyUpdate(this.opts.doc, fetched.state, REMOTE_ORIGIN);
        this.emit({ type: 'remote', authors: [] });
        return;
      }
    }
    this.dropPagesPastCursor = true;
    // Superseded: the newer SNAPSHOT's task decides. Interrupted: the reconnect subscribes again.
    if (!current || fetched.kind === 'interrupted') return;
    if (fetched.kind === 'refused') {
      this.refusedSnapshots.add(hashHex);
      console.warn(
        'hearth: refused the relay snapshot of a room; reading every envelope instead',
        fetched.reason,
      );
    }
    const cursor = (await this.opts.db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
    connection.send({ type: 'subscribe', room, afterSeq: cursor.seq });
  }

  /**
   * The upload policy: once caught up with SNAPSHOT_AFTER_ENVELOPES envelopes past the last snapshot this device
   * knows of, snapshot the document at the cursor. Only while nothing local is unsent, so the document holds
   * exactly the envelopes up to the cursor. Runs in the inbound queue: no remote change lands mid-way.
   */
  private async maybeSnapshot(): Promise<void> {
    const { db, doc } = this.opts;
    if (this.snapshotting || !this.caughtUpValue || this.docAheadOfRecord || this.pendingSnapshot) return;
    const every = this.opts.snapshotEvery ?? SNAPSHOT_AFTER_ENVELOPES;
    const cursor = await db.cursors.get(this.roomHex);
    if (!cursor || cursor.seq - this.knownSnapshotSeq < every) return;
    if (this.localInFlight > 0) return;
    const changesBefore = this.localChanges;
    const unsent = await db.outbox.where('room').equals(this.roomHex).count();
    // Accepted envelopes past a hole are in the document but not covered by the cursor.
    const past = await db.envelopes
      .where('[room+seq]')
      .between([this.roomHex, cursor.seq + 1], [this.roomHex, Infinity])
      .count();
    if (unsent > 0 || past > 0 || this.localChanges !== changesBefore) return;
    const roomKey = this.opts.keys.get(this.epoch);
    if (!roomKey) return;
    const state = Y.encodeStateAsUpdate(doc);
    const upToSeq = cursor.seq;
    this.snapshotting = true;
    publishSnapshot({ ...this.opts, epoch: this.epoch, roomKey, upToSeq, state })
      .then((kept) => {
        this.knownSnapshotSeq = Math.max(this.knownSnapshotSeq, kept);
      })
      .catch((error: unknown) => {
        // Not worth retrying soon: catch-up only gets longer, never wrong. Try again after another `every`.
        this.knownSnapshotSeq = Math.max(this.knownSnapshotSeq, upToSeq);
        console.warn('hearth: could not upload a snapshot', error);
      })
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /**
   * Open envelopes stored as refused for lack of their epoch's key, now that more keys are held. Their author and
   * signature were checked when they arrived (those come before the key), and their seq order is the relay's.
   */
  private async reopenUnreadable(): Promise<void> {
    const { db } = this.opts;
    const updates = await db.transaction('rw', db.envelopes, async () => {
      const rows = await db.envelopes
        .where('room')
        .equals(this.roomHex)
        .filter((row) => row.rejected === 'unknown_epoch')
        .toArray();
      const opened: Uint8Array[] = [];
      const authorship = new EntryAuthorship(this.opts.doc);
      for (const row of rows.sort((a, b) => a.seq - b.seq)) {
        const result = openUpdate(row.bytes, (epoch) => this.opts.keys.get(epoch));
        if (!result.ok) continue;
        const standing = authorStanding(row.author, row.seq, this.members, this.devices);
        if (!standing.ok) continue;
        const verdict = authorship.check(result.update, standing.identity);
        await db.envelopes.put({ ...row, rejected: verdict === 'ok' ? null : verdict });
        if (verdict === 'ok') opened.push(result.update);
      }
      return opened;
    });
    if (updates.length === 0) return;
    Y.applyUpdate(this.opts.doc, Y.mergeUpdates(updates), REMOTE_ORIGIN);
    this.emit({ type: 'rejected', reason: 'reopened' });
    this.emit({ type: 'remote', authors: [] });
  }

  /** Move a message's stored state forward (never back), inside the caller's transaction. */
  private async moveStatus(
    messageId: string,
    next: MessageState,
    seq: number | null,
    reason: string | null = null,
  ): Promise<StatusChange | null> {
    const status = await this.opts.db.statuses.get(messageId);
    if (!status) return null;
    const state = advance(status.state, next);
    if (state === status.state) return null;
    await this.opts.db.statuses.put({
      ...status,
      state,
      seq: seq ?? status.seq,
      reason: state === 'failed' ? reason : null,
    });
    return { messageId, state, reason: state === 'failed' ? reason : null };
  }

  /** Move the cursor over every seq now stored without a hole before it. */
  private async advanceCursor(): Promise<void> {
    const { db } = this.opts;
    const cursor = (await db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
    let seq = cursor.seq;
    while (await db.envelopes.get([this.roomHex, seq + 1])) seq++;
    if (seq !== cursor.seq) await db.cursors.put({ ...cursor, seq });
  }

  private emit(event: RoomEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function emptyCursor(room: string): CursorRow {
  return { room, seq: 0, clock: 0, authors: {} };
}

/**
 * Record that the relay stored `author`'s envelope at `clock`, so a later delivery at that clock or below is a replay.
 * This device's own envelopes count too (acknowledged, or delivered while still queued): otherwise the relay could
 * hand a device its own old envelope at a new seq and it would be taken as new.
 */
function seenClock(cursor: CursorRow, author: string, clock: number): CursorRow {
  cursor.authors[author] = Math.max(cursor.authors[author] ?? 0, clock);
  return cursor;
}
