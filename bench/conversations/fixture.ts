/**
 * The store of a therapist's device with many conversations, built directly with the app's own sync layer (real
 * keys, real sealed and signed envelopes, a snapshot where a device would have one), then backed up exactly as the
 * app does, so the browser restores it as a person would. Driving the UI to send this much would take hours.
 */
import * as Y from 'yjs';
import { generateDeviceKeys, toBase64Url, type DeviceKeys } from '../../src/lib/crypto';
import { formatRecoveryKey } from '../../src/lib/model/recoveryKey';
import { concatBytes, toHex } from '../../src/lib/protocol/hex';
import { HearthDb, type EnvelopeRow, type OutboxRow, type StatusRow } from '../../src/lib/store/db';
import { writeBackup } from '../../src/lib/sync/backup';
import { sealUpdate } from '../../src/lib/sync/envelopeSeal';
import { newRoom } from '../../src/lib/sync/invites';
import { createVault, type Keyring } from '../../src/lib/sync/keyring';
import { RecordStore } from '../../src/lib/sync/records';
import { sealSnapshot, SNAPSHOT_AFTER_ENVELOPES } from '../../src/lib/sync/snapshot';

export const THERAPIST = 'Dr. Bench Therapist';
export const BIG_CLIENT = 'Alex Morgan';

export interface FixtureOptions {
  rooms: number;
  /** Messages in the busiest conversation (the most recently active one). */
  bigMessages: number;
  /** Messages in each of the others. */
  smallMessages: number;
  passphrase: string;
  /** The text of message `i` (from 1) of the conversation ranked `rank`; a numbered note when not given. */
  text?: (rank: number, i: number, byClient: boolean) => string;
}

export interface Fixture {
  file: Uint8Array;
  recoveryKey: string;
  /** The text of the newest message in the busiest conversation. */
  bigLastText: string;
  /** The text of its oldest message. */
  bigFirstText: string;
  envelopes: number;
}

interface Author {
  keys: DeviceKeys;
  hex: string;
  doc: Y.Doc;
  clock: number;
  sent: number;
}

/** Build the store in fake-indexeddb (the caller imports it) and return it as a backup file. */
export async function buildFixture(options: FixtureOptions): Promise<Fixture> {
  const db = new HearthDb(`bench-${crypto.randomUUID()}`);
  const keyring = await createVault(db, options.passphrase);
  const records = new RecordStore(db, keyring.storageKey);
  await records.put('profile', 'profile', {
    name: THERAPIST,
    role: 'therapist',
    replyPromise: 'within one working day',
  });
  const now = Date.now();
  let bigLastText = '';
  let bigFirstText = '';
  let envelopes = 0;
  const { text } = options;
  for (let rank = 0; rank < options.rooms; rank++) {
    const big = rank === 0;
    const count = big ? options.bigMessages : options.smallMessages;
    // Rank 0 is the most recent: each conversation's last message is an hour older than the one above it.
    const lastAt = now - rank * 3_600_000;
    const built = await buildRoom(db, records, keyring, {
      client: big ? BIG_CLIENT : `Client ${String(rank).padStart(3, '0')}`,
      topic: big ? 'Weekly check-ins' : `Topic ${rank}`,
      messages: count,
      firstAt: lastAt - count * 60_000,
      unread: rank % 4,
      unsent: rank % 7 === 3,
      text: text ? (i, byClient) => text(rank, i, byClient) : undefined,
    });
    envelopes += built.envelopes;
    if (big) {
      bigLastText = built.lastText;
      bigFirstText = built.firstText;
    }
  }
  const { parts, recoveryKey } = await writeBackup(db, keyring, { kind: 'recoveryKey' });
  await db.delete();
  const file = concatBytes(...parts);
  return {
    file,
    recoveryKey: formatRecoveryKey(recoveryKey as Uint8Array),
    bigLastText,
    bigFirstText,
    envelopes,
  };
}

interface RoomPlan {
  client: string;
  topic: string;
  messages: number;
  firstAt: number;
  /** How many of the client's last messages the therapist has not read. */
  unread: number;
  /** Whether the therapist has one message still waiting in the outbox. */
  unsent: boolean;
  text?: (i: number, byClient: boolean) => string;
}

/**
 * One conversation between this therapist and a client, as the therapist's device holds it after a while: every
 * envelope (the client's and its own) stored with its seq, statuses of its own messages, its cursor, a snapshot
 * every SNAPSHOT_AFTER_ENVELOPES envelopes (the latest kept, as the device that made it keeps it), and maybe one
 * queued message.
 */
async function buildRoom(
  db: HearthDb,
  records: RecordStore,
  keyring: Keyring,
  plan: RoomPlan,
): Promise<{ envelopes: number; firstText: string; lastText: string }> {
  const { room, roomKey } = newRoom();
  const roomHex = toHex(room);
  const me: Author = { keys: keyring, hex: toHex(keyring.signPublic), doc: new Y.Doc(), clock: 0, sent: 0 };
  const clientKeys = generateDeviceKeys();
  const client: Author = {
    keys: clientKeys,
    hex: toHex(clientKeys.signPublic),
    doc: new Y.Doc(),
    clock: 0,
    sent: 0,
  };
  await records.put(`room:${roomHex}`, 'room', {
    room: roomHex,
    epoch: 0,
    keys: { 0: toBase64Url(roomKey) },
    creator: toBase64Url(keyring.signPublic),
    inviteSecrets: [],
    createdAt: plan.firstAt - 60_000,
    label: plan.client,
    inviteLink: '',
  });
  const rows: EnvelopeRow[] = [];
  const statuses: StatusRow[] = [];
  let snapshot: { upToSeq: number; state: Uint8Array } | null = null;
  /** Make a change as `author`, seal it as the next envelope, and give the other side the same update. */
  const write = (author: Author, change: (doc: Y.Doc) => void, messageId: string | null = null) => {
    const captured: Uint8Array[] = [];
    author.doc.once('update', (u: Uint8Array) => captured.push(u));
    author.doc.transact(() => change(author.doc));
    const update = captured[0];
    if (!update) return;
    const other = author === me ? client : me;
    Y.applyUpdate(other.doc, update);
    author.clock++;
    const sealed = sealUpdate({ room, author: author.keys, epoch: 0, roomKey, clock: author.clock, update });
    const seq = rows.length + 1;
    rows.push({
      room: roomHex,
      seq,
      id: toHex(sealed.id),
      author: author.hex,
      bytes: sealed.bytes,
      rejected: null,
    });
    if (messageId) {
      statuses.push({
        messageId,
        room: roomHex,
        envelopeId: toHex(sealed.id),
        state: 'sent',
        seq,
        reason: null,
      });
    }
    if (seq % SNAPSHOT_AFTER_ENVELOPES === 0)
      snapshot = { upToSeq: seq, state: Y.encodeStateAsUpdate(me.doc) };
  };
  const message = (author: Author, text: string, at: number) => {
    const id = crypto.randomUUID();
    author.sent++;
    const entry = { id, by: author.hex, n: author.sent, text, at };
    write(author, (doc) => doc.getArray('messages').push([entry]), author === me ? id : null);
  };

  write(me, (doc) => {
    doc
      .getMap('people')
      .set(me.hex, { name: THERAPIST, role: 'therapist', replyPromise: 'within one working day' });
    doc.getArray('audit').push([{ id: crypto.randomUUID(), kind: 'created', by: me.hex, at: plan.firstAt }]);
    doc.getMap('meta').set('topic', plan.topic);
  });
  write(client, (doc) => {
    doc.getMap('people').set(client.hex, { name: plan.client, role: 'client', replyPromise: '' });
    doc
      .getArray('audit')
      .push([{ id: crypto.randomUUID(), kind: 'joined', by: client.hex, at: plan.firstAt }]);
  });
  let firstText = '';
  let lastText = '';
  for (let i = 1; i <= plan.messages; i++) {
    // The client writes the last `unread` messages; before that the two take turns.
    const byClient = i > plan.messages - plan.unread || i % 2 === 1;
    const author = byClient ? client : me;
    lastText =
      plan.text?.(i, byClient) ??
      `${author === me ? 'Reply' : 'Note'} ${i} in ${plan.topic}: ${'a thought worth keeping, '.repeat(3)}`;
    if (i === 1) firstText = lastText;
    message(author, lastText, plan.firstAt + i * 60_000);
    // Each side marks what it has read every few messages, as the open conversation does.
    if (i % 10 === 0 && i <= plan.messages - plan.unread) {
      for (const reader of [me, client]) {
        const other = reader === me ? client : me;
        const mark = { [other.hex]: { delivered: other.sent, read: other.sent } };
        write(reader, (doc) => doc.getMap('receipts').set(reader.hex, mark));
      }
    }
  }
  await db.envelopes.bulkPut(rows);
  await db.statuses.bulkPut(statuses);
  let clock = me.clock;
  if (plan.unsent) {
    const id = crypto.randomUUID();
    me.sent++;
    const text = `Unsent reply in ${plan.topic}`;
    const entry = { id, by: me.hex, n: me.sent, text, at: plan.firstAt + (plan.messages + 1) * 60_000 };
    const captured: Uint8Array[] = [];
    me.doc.once('update', (u: Uint8Array) => captured.push(u));
    me.doc.getArray('messages').push([entry]);
    clock++;
    const sealed = sealUpdate({ room, author: keyring, epoch: 0, roomKey, clock, update: captured[0] });
    const queued: OutboxRow = {
      id: toHex(sealed.id),
      room: roomHex,
      clock,
      bytes: sealed.bytes,
      messageId: id,
      createdAt: Date.now(),
    };
    await db.outbox.put(queued);
    await db.statuses.put({
      messageId: id,
      room: roomHex,
      envelopeId: queued.id,
      state: 'queued',
      seq: null,
      reason: null,
    });
    lastText = text;
  }
  await db.cursors.put({
    room: roomHex,
    seq: rows.length,
    clock,
    authors: { [me.hex]: me.clock, [client.hex]: client.clock },
  });
  const kept = snapshot as { upToSeq: number; state: Uint8Array } | null;
  if (kept) {
    const bytes = sealSnapshot({
      room,
      author: keyring,
      epoch: 0,
      roomKey,
      upToSeq: kept.upToSeq,
      state: kept.state,
    });
    await db.snapshots.put({ room: roomHex, upToSeq: kept.upToSeq, bytes });
  }
  return { envelopes: rows.length, firstText, lastText };
}
