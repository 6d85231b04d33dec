import { z } from 'zod';
import type { OwnDevice, RoomDevice } from '../../src/lib/protocol/frames';
import type { DeviceStanding } from './RelayStorage';

// Rows of the device queries, the same column names in SQLite and PostgreSQL; parsed once where they leave SQL.
const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();

const RoomDeviceRow = z.object({
  identity: Bytes,
  sign_pk: Bytes,
  box_pk: Bytes,
  created_at: Int,
  certificate: Bytes,
  revoked_at: Int,
  revocation: Bytes,
  last_seq: Int,
});

const OwnDeviceRow = z.object({
  sign_pk: Bytes,
  box_pk: Bytes,
  created_at: Int,
  last_seen: Int,
  revoked_at: Int,
});

const StandingRow = z.object({
  box_pk: Bytes,
  identity_pk: Bytes,
  identity_box: Bytes,
  revoked_at: Int.nullable(),
});

export function toStanding(raw: unknown): DeviceStanding {
  const row = StandingRow.parse(raw);
  return {
    boxPublic: row.box_pk,
    identity: { signPublic: row.identity_pk, boxPublic: row.identity_box },
    revokedAt: row.revoked_at,
  };
}

export function toRoomDevice(raw: unknown): RoomDevice {
  const row = RoomDeviceRow.parse(raw);
  return {
    identity: row.identity,
    signPublic: row.sign_pk,
    boxPublic: row.box_pk,
    createdAt: row.created_at,
    certificate: row.certificate,
    revokedAt: row.revoked_at,
    revocation: row.revocation,
    lastSeq: row.last_seq,
  };
}

export function toOwnDevice(raw: unknown): OwnDevice {
  const row = OwnDeviceRow.parse(raw);
  return {
    signPublic: row.sign_pk,
    boxPublic: row.box_pk,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
    revokedAt: row.revoked_at,
  };
}

export type Dialect = 'sqlite' | 'postgres';

/** SQLite binds `?` in order (so a value used twice is passed twice); PostgreSQL numbers them. */
const place = (dialect: Dialect, n: number): string => (dialect === 'sqlite' ? '?' : `$${n}`);
const emptyBytes = (dialect: Dialect): string => (dialect === 'sqlite' ? "x''" : "''::bytea");

/**
 * The device queries both backends share.
 * A first device has no identity_pk: its key is its identity. It is listed in a room only once revoked, since
 * until then the member list already names it.
 */
export function roomDevicesSql(dialect: Dialect): string {
  return `SELECT COALESCE(d.identity_pk, d.sign_pk) AS identity, d.sign_pk, d.box_pk,
       COALESCE(d.created_at, 0) AS created_at, COALESCE(d.certificate, ${emptyBytes(dialect)}) AS certificate,
       COALESCE(d.revoked_at, 0) AS revoked_at, COALESCE(d.revocation, ${emptyBytes(dialect)}) AS revocation,
       COALESCE((SELECT MAX(e.seq) FROM envelopes e WHERE e.room = m.room AND e.author = d.sign_pk), 0) AS last_seq
     FROM members m JOIN devices d
       ON d.identity_pk = m.sign_pk OR (d.sign_pk = m.sign_pk AND d.identity_pk IS NULL AND d.revoked_at IS NOT NULL)
     WHERE m.room = ${place(dialect, 1)}
     ORDER BY d.first_seen, d.sign_pk`;
}

/** Binds the identity twice (SQLite). */
export function ownDevicesSql(dialect: Dialect): string {
  return `SELECT sign_pk, box_pk, COALESCE(created_at, first_seen) AS created_at, last_seen,
       COALESCE(revoked_at, 0) AS revoked_at
     FROM devices WHERE sign_pk = ${place(dialect, 1)} OR identity_pk = ${place(dialect, 1)}
     ORDER BY first_seen, sign_pk`;
}

export function standingSql(dialect: Dialect): string {
  return `SELECT d.box_pk, COALESCE(d.identity_pk, d.sign_pk) AS identity_pk, COALESCE(i.box_pk, d.box_pk) AS identity_box,
       d.revoked_at
     FROM devices d LEFT JOIN devices i ON i.sign_pk = d.identity_pk
     WHERE d.sign_pk = ${place(dialect, 1)}`;
}

/**
 * Push subscriptions to notify about a room: those of each member identity's own key and of its linked devices,
 * never of a revoked one. Binds the room twice (SQLite).
 */
export function pushTargetsSql(dialect: Dialect): string {
  return `SELECT p.device, p.endpoint, p.p256dh, p.auth FROM members m
       JOIN push_subscriptions p ON p.device = m.sign_pk
       LEFT JOIN devices d ON d.sign_pk = m.sign_pk
     WHERE m.room = ${place(dialect, 1)} AND d.revoked_at IS NULL
     UNION ALL
     SELECT p.device, p.endpoint, p.p256dh, p.auth FROM members m
       JOIN devices d ON d.identity_pk = m.sign_pk
       JOIN push_subscriptions p ON p.device = d.sign_pk
     WHERE m.room = ${place(dialect, 1)} AND d.revoked_at IS NULL`;
}
