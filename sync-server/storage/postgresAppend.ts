import type pg from 'pg';
import { z } from 'zod';
import { toHex } from '../../src/lib/protocol/hex';
import { judgeAppend, type StoredEnvelopeRef } from './judgeAppend';
import type { AppendItem, AppendOutcome } from './RelayStorage';

const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();
const HeadRow = z.object({ room: Bytes, head_seq: Int });
const EnvelopeRefRow = z.object({ room: Bytes, id: Bytes, author: Bytes, clock: Int, seq: Int });
const SignRow = z.object({ sign_pk: Bytes });
const MemberPairRow = z.object({ room: Bytes, sign_pk: Bytes });
const ClockRow = z.object({ room: Bytes, author: Bytes, clock: Int.nullable() });

const pairKey = (a: Uint8Array, b: Uint8Array): string => `${toHex(a)}:${toHex(b)}`;

/**
 * Judge and store one group-commit batch inside the caller's transaction, with SQLite's semantics: items in order,
 * each against what is stored plus the items before it. Reads and writes are a handful of set statements, not one
 * round trip per envelope.
 *
 * Seqs stay gap-free and unique across relay processes because every room of the batch is row-locked
 * (`SELECT ... FOR UPDATE`) before anything of it is read: another process appending to the same room waits here
 * until this transaction commits, and then reads the head and clocks it left. Rooms are locked in byte order, so
 * two batches sharing rooms cannot deadlock.
 */
export async function commitAppendBatch(
  client: pg.PoolClient,
  items: AppendItem[],
  now: number,
): Promise<AppendOutcome[]> {
  // An ACK promises durability whatever the server's default: this commit waits for its WAL flush.
  await client.query('SET LOCAL synchronous_commit TO on');
  const heads = await lockRooms(client, items);
  const stored = await storedRefs(client, items);
  const clocks = await lastClocks(client, items);
  const revoked = await revokedAuthors(client, items);
  const members = await memberPairs(client, items);

  const outcomes: AppendOutcome[] = [];
  const inserts: Array<{ item: AppendItem; seq: number }> = [];
  for (const item of items) {
    const idKey = pairKey(item.room, item.id);
    const authorKey = pairKey(item.room, item.author);
    const verdict = judgeAppend(
      item,
      stored.get(idKey),
      clocks.get(authorKey) ?? 0,
      revoked.has(toHex(item.author)),
      members.has(pairKey(item.room, item.identity)),
    );
    if (verdict.kind !== 'insert') {
      outcomes.push(verdict);
      continue;
    }
    const roomKey = toHex(item.room);
    const head = heads.get(roomKey);
    if (head === undefined) {
      outcomes.push({ kind: 'rejected', code: 'not_a_member', message: 'room does not exist' });
      continue;
    }
    const seq = head + 1;
    heads.set(roomKey, seq);
    stored.set(idKey, { author: item.author, clock: item.clock, seq });
    clocks.set(authorKey, item.clock);
    inserts.push({ item, seq });
    outcomes.push({ kind: 'stored', seq });
  }
  if (inserts.length > 0) await insertEnvelopes(client, inserts, now);
  await storeHeads(client, inserts, heads);
  return outcomes;
}

/** Lock every room of the batch and return its head seq; a room that does not exist is absent. */
async function lockRooms(client: pg.PoolClient, items: AppendItem[]): Promise<Map<string, number>> {
  const rooms = unique(items.map((item) => item.room));
  const result = await client.query(
    'SELECT room, head_seq FROM rooms WHERE room = ANY($1::bytea[]) ORDER BY room FOR UPDATE',
    [rooms],
  );
  const heads = new Map<string, number>();
  for (const raw of result.rows) {
    const row = HeadRow.parse(raw);
    heads.set(toHex(row.room), row.head_seq);
  }
  return heads;
}

/** What is already stored under each (room, id) of the batch. */
async function storedRefs(
  client: pg.PoolClient,
  items: AppendItem[],
): Promise<Map<string, StoredEnvelopeRef>> {
  const result = await client.query(
    `SELECT e.room, e.id, e.author, e.clock, e.seq
     FROM envelopes e JOIN unnest($1::bytea[], $2::bytea[]) AS k(room, id) ON e.room = k.room AND e.id = k.id`,
    [items.map((i) => i.room), items.map((i) => i.id)],
  );
  const refs = new Map<string, StoredEnvelopeRef>();
  for (const raw of result.rows) {
    const row = EnvelopeRefRow.parse(raw);
    refs.set(pairKey(row.room, row.id), { author: row.author, clock: row.clock, seq: row.seq });
  }
  return refs;
}

/** Each (room, author) of the batch's last stored clock; absent when the author has none in the room. */
async function lastClocks(client: pg.PoolClient, items: AppendItem[]): Promise<Map<string, number>> {
  const pairs = new Map<string, AppendItem>();
  for (const item of items) pairs.set(pairKey(item.room, item.author), item);
  const list = [...pairs.values()];
  const result = await client.query(
    `SELECT k.room, k.author,
       (SELECT MAX(e.clock) FROM envelopes e WHERE e.room = k.room AND e.author = k.author) AS clock
     FROM unnest($1::bytea[], $2::bytea[]) AS k(room, author)`,
    [list.map((i) => i.room), list.map((i) => i.author)],
  );
  const clocks = new Map<string, number>();
  for (const raw of result.rows) {
    const row = ClockRow.parse(raw);
    if (row.clock !== null) clocks.set(pairKey(row.room, row.author), row.clock);
  }
  return clocks;
}

/** The batch's authors that are revoked (hex). */
async function revokedAuthors(client: pg.PoolClient, items: AppendItem[]): Promise<Set<string>> {
  const result = await client.query(
    'SELECT sign_pk FROM devices WHERE sign_pk = ANY($1::bytea[]) AND revoked_at IS NOT NULL',
    [unique(items.map((item) => item.author))],
  );
  return new Set(result.rows.map((raw) => toHex(SignRow.parse(raw).sign_pk)));
}

/**
 * The (room, identity) pairs of the batch that are members now. Read after the rooms are locked: a membership change
 * takes the same row lock, so it commits wholly before or after this batch.
 */
async function memberPairs(client: pg.PoolClient, items: AppendItem[]): Promise<Set<string>> {
  const result = await client.query(
    `SELECT m.room, m.sign_pk FROM members m
     JOIN unnest($1::bytea[], $2::bytea[]) AS k(room, identity) ON m.room = k.room AND m.sign_pk = k.identity`,
    [items.map((i) => i.room), items.map((i) => i.identity)],
  );
  return new Set(
    result.rows.map((raw) => {
      const row = MemberPairRow.parse(raw);
      return pairKey(row.room, row.sign_pk);
    }),
  );
}

/** One multi-row INSERT for the whole batch. */
async function insertEnvelopes(
  client: pg.PoolClient,
  inserts: Array<{ item: AppendItem; seq: number }>,
  now: number,
): Promise<void> {
  await client.query(
    `INSERT INTO envelopes (room, seq, id, author, clock, bytes, received_at)
     SELECT room, seq, id, author, clock, bytes, $7
     FROM unnest($1::bytea[], $2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[], $6::bytea[])
       AS v(room, seq, id, author, clock, bytes)`,
    [
      inserts.map((x) => x.item.room),
      inserts.map((x) => x.seq),
      inserts.map((x) => x.item.id),
      inserts.map((x) => x.item.author),
      inserts.map((x) => x.item.clock),
      inserts.map((x) => x.item.bytes),
      now,
    ],
  );
}

/** Move each room's head to its last seq of this batch (rooms that gained nothing are left alone). */
async function storeHeads(
  client: pg.PoolClient,
  inserts: Array<{ item: AppendItem; seq: number }>,
  heads: Map<string, number>,
): Promise<void> {
  const rooms = unique(inserts.map((x) => x.item.room));
  if (rooms.length === 0) return;
  await client.query(
    `UPDATE rooms SET head_seq = v.head
     FROM unnest($1::bytea[], $2::bigint[]) AS v(room, head) WHERE rooms.room = v.room`,
    [rooms, rooms.map((room) => heads.get(toHex(room)))],
  );
}

function unique(values: Uint8Array[]): Uint8Array[] {
  const byKey = new Map<string, Uint8Array>();
  for (const value of values) byKey.set(toHex(value), value);
  return [...byKey.values()];
}
