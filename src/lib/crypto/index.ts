/** The named operations the rest of the client may use. Nothing outside this folder imports libsodium. */
export { cryptoReady } from './sodium';
export { DecryptError, WrongPassphraseError } from './errors';
export { randomBytes } from './random';
export { generateDeviceKeys, type DeviceKeys } from './deviceKeys';
export { encryptWithKey, decryptWithKey, newNonce, newSymmetricKey, AEAD_NONCE_BYTES } from './aead';
export { signDetached, verifyDetached } from './sign';
export {
  deriveVaultKey,
  newVaultParams,
  wrapKeyring,
  unwrapKeyring,
  DEFAULT_MEM_LIMIT,
  DEFAULT_OPS_LIMIT,
  type VaultParams,
  type WrappedSecret,
} from './vault';
export { sealToDevice, openSealed } from './sealedBox';
export { deriveInviteKeys, INVITE_SECRET_BYTES, type InviteKeys } from './invite';
export { keyFingerprint, formatFingerprint } from './fingerprint';
export { safetyNumber } from './safetyNumber';
export { toBase64Url, fromBase64Url } from './base64';
export { sha256, sha256Sync } from './sha256';
export { deriveLinkKeys, linkComparison, LINK_SECRET_BYTES, type LinkKeys } from './link';
export {
  newRecoveryKey,
  backupKeyFromRecoveryKey,
  sealStream,
  openStream,
  BACKUP_STREAM_HEADER_BYTES,
  RECOVERY_KEY_BYTES,
  type SealingStream,
  type OpeningStream,
} from './backupStream';
