/** What model/ uses of the sync layer. */
export {
  cryptoReady,
  WrongPassphraseError,
  DecryptError,
  safetyNumber,
  generateDeviceKeys,
  type DeviceKeys,
} from '../crypto';
export {
  createVault,
  createLinkedVault,
  unlockVault,
  rewrapVault,
  hasVault,
  NoAccountError,
  type Keyring,
  type PublicKeys,
} from './keyring';
export {
  comparisonFor,
  decodeLinkCode,
  encodeLinkCode,
  LinkError,
  LinkGrant,
  linkIdFor,
  newLinkSecret,
  openGrant,
  sealGrant,
  type LinkCode,
} from './deviceLink';
export { signDeviceCertificate, signRevocation } from './deviceCertificate';
export { RecordStore } from './records';
export { RelayConnection, RelayError, type ConnectionStatus } from './relayConnection';
export { RoomSync, REMOTE_ORIGIN, type RoomEvent } from './roomSync';
export { backgroundTurn } from './backgroundTurn';
export type { RoomTrust } from './memberTrust';
export {
  decodeInviteFragment,
  encodeInviteFragment,
  fragmentKind,
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
export {
  RoomMembership,
  type MembershipProblem,
  type MembershipStore,
  type PendingChange,
} from './roomMembership';
export { managerAt, type MembershipChange, type MembershipState } from './membership';
export { newSymmetricKey } from '../crypto';
