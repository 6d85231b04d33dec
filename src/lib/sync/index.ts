/** What model/ uses of the sync layer. */
export { cryptoReady, WrongPassphraseError, DecryptError, safetyNumber } from '../crypto';
export { signRevocation } from './revocation';
export { createVault, unlockVault, rewrapVault, hasVault, NoAccountError, type Keyring } from './keyring';
export { RecordStore } from './records';
export { RelayConnection, RelayError, type ConnectionStatus } from './relayConnection';
export { RoomSync, REMOTE_ORIGIN, type RoomEvent } from './roomSync';
export type { RoomTrust } from './memberTrust';
export {
  decodeInviteFragment,
  encodeInviteFragment,
  InviteError,
  inviteAddress,
  newInviteSecret,
  newRoom,
  openInvite,
  sealInvite,
  signClaim,
  toBase64Url,
  fromBase64Url,
  type InviteLink,
  type InvitePayload,
} from './invites';
export { fetchVapidPublicKey, registerPush, unregisterPush, type PushKeys } from './pushRegistration';
export {
  writeBackup,
  restoreBackup,
  backupProtection,
  BackupError,
  type BackupProtection,
  type BackupSecret,
  type BackupProgress,
} from './backup';
