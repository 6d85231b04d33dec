import * as Y from 'yjs';
import { bytesEqual, toHex } from '../protocol/hex';
import type { Delivery, Frame } from '../protocol/frames';
import type { CursorRow, EnvelopeRow, HearthDb, MessageState } from '../store/db';
import { advance } from '../store/messageState';
import { openUpdate, peekEnvelope, sealUpdate } from './envelopeSeal';
import type { Keyring } from './keyring';
import { verifiedMembers, type RoomTrust } from './memberTrust';
import type { RelayConnection } from './relayConnection';

/** Origin of updates that came from the store or the relay: they are never sent again. */
export const REMOTE_ORIGIN = Symbol('remote');

/** Origin of a local change made through `commit`, carrying the message id it writes, if any. */
class LocalChange {
  done: Promise<void> | null = null;
  constructor(readonly messageId: string | null) {}
}

export interface RoomSyncOptions {
  db: HearthDb;
  connection: RelayConnection;
  keyring: Keyring;
  room: Uint8Array;
  epoch: number;
  keys: Map<number, Uint8Array>;
  trust: RoomTrust;
  doc: Y.Doc;
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
  'not_a_member',
  'envelope_too_large',
  'bad_signature',
  'wrong_author',
]);

/** Relay errors about an append that go away by waiting: resend the outbox after a pause. */
const RETRY_LATER_ERRORS = new Set(['rate_limited', 'clock_out_of_order', 'storage_failed', 'shutting_down']);
const RETRY_DELAY_MS = 2_000;

/**
 * The encrypted Yjs provider for one room. Write path: local Y.Doc update -> seal -> outbox (one strict
 * transaction) -> relay. Read path: relay -> verify -> decrypt -> store -> apply to the Y.Doc. The store is
 * written before memory changes, so a crash between the two loses nothing.
 */
export class RoomSync {
  readonly roomHex: string;
  private readonly opts: RoomSyncOptions;
  private members = new Set<string>();
  private inbound: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(event: RoomEvent) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private sending = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private caughtUpValue = false;

  constructor(opts: RoomSyncOptions) {
    this.opts = opts;
    this.roomHex = toHex(opts.room);
    this.members = new Set([toHex(opts.trust.creator), toHex(opts.keyring.signPublic)]);
  }

  get caughtUp(): boolean {
    return this.caughtUpValue;
  }

  on(listener: (event: RoomEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rebuild the document from what this device has stored: accepted envelopes by seq, then the outbox. */
  async load(): Promise<void> {
    const { db, doc } = this.opts;
    const stored = await db.envelopes
      .where('[room+seq]')
      .between([this.roomHex, 0], [this.roomHex, Infinity])
      .toArray();
    const queued = await db.outbox
      .where('[room+clock]')
      .between([this.roomHex, 0], [this.roomHex, Infinity])
      .toArray();
    const updates: Uint8Array[] = [];
    for (const row of [...stored.filter((r) => r.rejected === null), ...queued]) {
      const opened = openUpdate(row.bytes, (epoch) => this.opts.keys.get(epoch));
      if (opened.ok) updates.push(opened.update);
    }
    if (updates.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(updates), REMOTE_ORIGIN);
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
    const rows = await this.opts.db.envelopes
      .where('room')
      .equals(this.roomHex)
      .filter((r) => r.rejected !== null)
      .toArray();
    return rows.map((r) => ({ reason: r.rejected as string, author: r.author }));
  }

  private readonly handleLocalUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === REMOTE_ORIGIN) return;
    const messageId = origin instanceof LocalChange ? origin.messageId : null;
    const done = this.enqueue(update, messageId);
    if (origin instanceof LocalChange) origin.done = done;
    else done.catch((error) => console.error('hearth: could not queue a change', error));
  };

  private async enqueue(update: Uint8Array, messageId: string | null): Promise<void> {
    const { db, keyring, room, epoch, keys } = this.opts;
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
    void this.flush();
  }

  private async subscribe(): Promise<void> {
    const cursor = (await this.opts.db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
    this.opts.connection.send({ type: 'subscribe', room: this.opts.room, afterSeq: cursor.seq });
    await this.flush();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, RETRY_DELAY_MS);
  }

  /** Send the whole outbox in clock order. Retries are safe: the relay acks a known id with its seq. */
  private async flush(): Promise<void> {
    if (this.sending || this.opts.connection.status !== 'online') return;
    this.sending = true;
    try {
      const rows = await this.opts.db.outbox
        .where('[room+clock]')
        .between([this.roomHex, 0], [this.roomHex, Infinity])
        .toArray();
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
          this.members = verifiedMembers(this.opts.trust, frame.members);
          this.members.add(toHex(this.opts.keyring.signPublic));
        }
        return;
      case 'deliver':
        if (bytesEqual(frame.room, this.opts.room)) this.serially(() => this.receive(frame.deliveries));
        return;
      case 'ack':
        if (bytesEqual(frame.room, this.opts.room))
          this.serially(() => this.acknowledge(toHex(frame.id), frame.seq));
        return;
      case 'caughtUp':
        if (bytesEqual(frame.room, this.opts.room)) {
          this.serially(async () => {
            this.caughtUpValue = true;
            this.emit({ type: 'caughtUp' });
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
      await db.outbox.delete(envelopeId);
      await db.envelopes.put({
        room: this.roomHex,
        seq,
        id: envelopeId,
        author: toHex(this.opts.keyring.signPublic),
        bytes: row.bytes,
        rejected: null,
      });
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
    await db.transaction('rw', [db.envelopes, db.cursors, db.outbox, db.statuses], async () => {
      const cursor = (await db.cursors.get(this.roomHex)) ?? emptyCursor(this.roomHex);
      for (const delivery of deliveries) {
        if (await db.envelopes.get([this.roomHex, delivery.seq])) continue;
        const outcome = await this.check(delivery, cursor);
        if (outcome.kind === 'own') {
          if (outcome.change) changes.push(outcome.change);
          continue;
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
    }
    if (changes.length > 0) this.emit({ type: 'statuses', changes });
    if (rejectedReason) this.emit({ type: 'rejected', reason: rejectedReason });
  }

  /** Decide what a delivered envelope is: ours coming back, accepted, or refused with a reason. */
  private async check(
    delivery: Delivery,
    cursor: CursorRow,
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
      const change = queued.messageId ? await this.moveStatus(queued.messageId, 'sent', delivery.seq) : null;
      return { kind: 'own', change };
    }
    if (!bytesEqual(header.room, this.opts.room)) return refuse('wrong_room');
    if (!this.members.has(author)) return refuse('unknown_author');
    const opened = openUpdate(delivery.envelope, (epoch) => this.opts.keys.get(epoch));
    if (!opened.ok) return refuse(opened.reason);
    const lastClock = cursor.authors[author] ?? 0;
    if (header.clock <= lastClock) return refuse('replayed');
    cursor.authors[author] = header.clock;
    return { kind: 'row', row: { ...base, id, author, rejected: null }, update: opened.update };
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
