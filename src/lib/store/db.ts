import Dexie, { type EntityTable } from 'dexie';

/**
 * The only code that opens IndexedDB. Every content column holds ciphertext: envelopes and outbox rows are
 * sealed under room keys, records under the local storage key, and the keyring under the vault key.
 * Ids, seqs, clocks and message states are the only cleartext, and they say nothing of what was written.
 */

/** The wrapped keyring and the Argon2id parameters that open it. One row, id 'device'. */
export interface VaultRow {
  id: 'device';
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
  salt: Uint8Array;
  opsLimit: number;
  memLimit: number;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  createdAt: number;
  /**
   * The identity a linked device acts for (the account's first device's keys); absent on that first device,
   * whose own keys are the identity.
   */
  identitySignPublic?: Uint8Array;
  identityBoxPublic?: Uint8Array;
}

/**
 * An encrypted JSON record (profile, a room's keys and names, settings, reply templates; per room, what the
 * conversations list shows of it, its latest lines, the reply being drafted and the parts of its search index); `id`
 * is the AEAD's associated data.
 */
export interface RecordRow {
  id: string;
  kind:
    | 'profile'
    | 'room'
    | 'devices'
    | 'settings'
    | 'contacts'
    | 'summary'
    | 'recent'
    | 'draft'
    | 'templates'
    | 'search';
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/** A sealed envelope the relay has stored (own, acked, or someone else's, delivered). */
export interface EnvelopeRow {
  room: string;
  seq: number;
  id: string;
  author: string;
  bytes: Uint8Array;
  /**
   * Why this envelope was refused (bad signature, replay, unknown author, `forged_author` for entries in someone
   * else's name...), or null when it was accepted.
   * Refused envelopes keep their seq so sync moves past them, and are never applied.
   */
  rejected: string | null;
}

/** A sealed envelope written on this device and not yet acked by the relay. */
export interface OutboxRow {
  id: string;
  room: string;
  clock: number;
  bytes: Uint8Array;
  /** The message this envelope carries, when it carries one: how its state is found. */
  messageId: string | null;
  createdAt: number;
}

/** Per-room sync position: the highest seq with every seq before it stored, and this device's last clock. */
export interface CursorRow {
  room: string;
  seq: number;
  clock: number;
  /** Last clock seen from each author (hex signing key), to reject replays and notice withheld envelopes. */
  authors: Record<string, number>;
}

/**
 * The room's document up to `upToSeq`, sealed as a snapshot (kind 2, signed by its author, encrypted under a room
 * key): fetched from the relay by a new device, or made by this one. Loading applies it, then the envelopes after
 * `upToSeq`. One row per room, the latest.
 */
export interface SnapshotRow {
  room: string;
  upToSeq: number;
  bytes: Uint8Array;
}

export const MESSAGE_STATES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** The state of a message this device wrote. Only moves forward (see model/messageState.ts). */
export interface StatusRow {
  messageId: string;
  room: string;
  envelopeId: string;
  state: MessageState;
  seq: number | null;
  reason: string | null;
}

export class HearthDb extends Dexie {
  vault!: EntityTable<VaultRow, 'id'>;
  records!: EntityTable<RecordRow, 'id'>;
  envelopes!: Dexie.Table<EnvelopeRow, [string, number]>;
  outbox!: EntityTable<OutboxRow, 'id'>;
  cursors!: EntityTable<CursorRow, 'room'>;
  statuses!: EntityTable<StatusRow, 'messageId'>;
  snapshots!: EntityTable<SnapshotRow, 'room'>;

  constructor(name = 'hearth') {
    // Strict durability: "queued" must survive a power cut, and Chromium otherwise commits lazily.
    super(name, { chromeTransactionDurability: 'strict' });
    this.version(1).stores({
      vault: 'id',
      records: 'id, kind',
      envelopes: '[room+seq], id, room',
      outbox: 'id, [room+clock], room',
      cursors: 'room',
      statuses: 'messageId, room, envelopeId',
    });
    this.version(2).stores({ snapshots: 'room' });
    // Refused envelopes by room: an accepted one's `rejected` is null, which is no key, so only refused ones are in it.
    this.version(3).stores({ envelopes: '[room+seq], id, room, [room+rejected]' });
  }
}

let instance: HearthDb | null = null;

/** The app's database, opened once. */
export function openDb(name?: string): HearthDb {
  instance ??= new HearthDb(name);
  return instance;
}

/** Close and forget the database (tests, and erasing the device). */
export function closeDb(): void {
  instance?.close();
  instance = null;
}
