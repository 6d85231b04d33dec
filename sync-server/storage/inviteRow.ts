import { z } from 'zod';
import { bytesEqual } from '../../src/lib/protocol/hex';
import type { NewInvite, StoredInvite } from './RelayStorage';

const Bytes = z.instanceof(Uint8Array);

/** An `invites` row as both SQL backends return it (same column names in SQLite and PostgreSQL). */
export const InviteRow = z.object({
  invite_id: Bytes,
  room: Bytes,
  claim_pk: Bytes,
  expires_at: z.number().int(),
  box: Bytes,
  created_by: Bytes,
  used_by: Bytes.nullable(),
});
export type InviteRow = z.infer<typeof InviteRow>;

/** Parse a raw `invites` row into the storage interface's shape. */
export function toStoredInvite(raw: unknown): StoredInvite {
  const row = InviteRow.parse(raw);
  return {
    inviteId: row.invite_id,
    room: row.room,
    claimPublic: row.claim_pk,
    expiresAt: row.expires_at,
    box: row.box,
    createdBy: row.created_by,
    usedBy: row.used_by,
  };
}

/** A PUT_INVITE retry is the same invite only if every stored field matches byte for byte. */
export function sameInvite(stored: StoredInvite, invite: NewInvite): boolean {
  return (
    bytesEqual(stored.room, invite.room) &&
    bytesEqual(stored.claimPublic, invite.claimPublic) &&
    bytesEqual(stored.createdBy, invite.createdBy) &&
    bytesEqual(stored.box, invite.box) &&
    stored.expiresAt === invite.expiresAt
  );
}
