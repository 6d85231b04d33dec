import { openDb } from '../store/db';
import {
  backupProtection,
  cryptoReady,
  restoreBackup,
  type BackupProgress,
  type BackupSecret,
} from '../sync';
import { validateNewPassphrase } from './account';
import { parseRecoveryKey } from './recoveryKey';
import { Session } from './session';

export { formatRecoveryKey } from './recoveryKey';

/** How a chosen backup file is protected: decides whether the restore screen asks for the key or the passphrase. */
export async function backupFileProtection(file: Uint8Array): Promise<'recoveryKey' | 'passphrase'> {
  await cryptoReady();
  return backupProtection(file);
}

/**
 * Restore a recovery backup on this (empty) device and open it: the same keys and the whole record as when the
 * backup was made; anything newer arrives from the relay as the conversations catch up.
 */
export async function restoreFromBackup(
  file: Uint8Array,
  secretText: string,
  passphrase: string,
  confirm: string,
  onProgress: (progress: BackupProgress) => void,
): Promise<Session> {
  validateNewPassphrase(passphrase, confirm);
  await cryptoReady();
  const secret: BackupSecret =
    backupProtection(file) === 'recoveryKey'
      ? { kind: 'recoveryKey', recoveryKey: parseRecoveryKey(secretText) }
      : { kind: 'passphrase', passphrase: secretText };
  const db = openDb();
  const keyring = await restoreBackup(db, file, secret, passphrase, onProgress);
  return Session.open(db, keyring);
}
