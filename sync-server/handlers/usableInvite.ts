import { bytesEqual } from '../../src/lib/protocol/hex';
import { RelayError } from '../relayError';
import type { AuthedDevice } from '../session';
import type { StoredInvite } from '../storage/RelayStorage';

/**
 * The invite, if `device` may read or claim it: it exists, and either this device already claimed it, or it is
 * unexpired and unclaimed. Throws invite_not_found, invite_expired or invite_used otherwise.
 */
export function requireUsableInvite(
  invite: StoredInvite | undefined,
  inviteId: Uint8Array,
  device: AuthedDevice,
  now: number,
): StoredInvite {
  if (!invite) throw new RelayError('invite_not_found', 'no invite with this id', inviteId);
  // A retry by the device that claimed it succeeds even after expiry: it is a member by then.
  if (invite.usedBy && bytesEqual(invite.usedBy, device.identity.signPublic)) return invite;
  if (invite.expiresAt <= now) throw new RelayError('invite_expired', 'this invite has expired', inviteId);
  if (invite.usedBy) throw new RelayError('invite_used', 'this invite was already used', inviteId);
  return invite;
}
