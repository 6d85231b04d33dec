import { MAX_NAME_CHARS, MIN_PASSPHRASE_CHARS } from '../protocol/limits';
import { openDb } from '../store/db';
import { createVault, cryptoReady, hasVault, RecordStore, unlockVault, WrongPassphraseError } from '../sync';
import { Profile } from './schemas';
import { Session } from './session';
import { UnlockWaitError, type UnlockThrottle } from './unlockThrottle';

/** Marked when the passphrase has opened the keyring, before the store is read. */
export const VAULT_UNLOCKED_MARK = 'hearth:vault-unlocked';

export type AccountProblem =
  'name_missing' | 'name_too_long' | 'passphrase_too_short' | 'passphrases_differ' | 'recovery_key_invalid';

export class AccountError extends Error {
  constructor(
    readonly code: AccountProblem,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export interface NewAccount {
  name: string;
  role: Profile['role'];
  replyPromise: string;
  passphrase: string;
  confirm: string;
}

/** True when this device already holds an account (locked or not). */
export async function accountExists(): Promise<boolean> {
  return hasVault(openDb());
}

/** Check what a person typed, with a message they can act on for each problem. */
export function validateNewAccount(input: NewAccount): void {
  const name = input.name.trim();
  if (!name) throw new AccountError('name_missing', 'Enter the name you want others to see.');
  if (name.length > MAX_NAME_CHARS) {
    throw new AccountError('name_too_long', `Names can be at most ${MAX_NAME_CHARS} characters.`);
  }
  validateNewPassphrase(input.passphrase, input.confirm);
}

/** Make this device's keys, wrap them under the passphrase, save the profile encrypted, and open a session. */
export async function createAccount(input: NewAccount): Promise<Session> {
  validateNewAccount(input);
  await cryptoReady();
  const db = openDb();
  const keyring = await createVault(db, input.passphrase);
  const profile: Profile = {
    name: input.name.trim(),
    role: input.role,
    replyPromise: input.replyPromise.trim(),
  };
  await new RecordStore(db, keyring.storageKey).put('profile', 'profile', profile);
  return Session.open(db, keyring);
}

/**
 * Unlock with the passphrase; throws `WrongPassphraseError` and unlocks nothing when it is wrong, and
 * `UnlockWaitError` without trying when too many wrong tries came just before.
 */
export async function unlock(passphrase: string, throttle: UnlockThrottle): Promise<Session> {
  const wait = throttle.remaining();
  if (wait > 0) throw new UnlockWaitError(wait);
  await cryptoReady();
  const db = openDb();
  let keyring;
  try {
    keyring = await unlockVault(db, passphrase);
  } catch (error) {
    if (error instanceof WrongPassphraseError) throttle.failed();
    throw error;
  }
  throttle.succeeded();
  // A User Timing mark where the passphrase work ends, so what follows (opening the store) can be measured alone.
  performance.mark(VAULT_UNLOCKED_MARK);
  return Session.open(db, keyring);
}

/** Check a new passphrase as account creation does. */
export function validateNewPassphrase(passphrase: string, confirm: string): void {
  if (passphrase.length < MIN_PASSPHRASE_CHARS) {
    throw new AccountError(
      'passphrase_too_short',
      `Choose a passphrase of at least ${MIN_PASSPHRASE_CHARS} characters. A few unrelated words work well.`,
    );
  }
  if (passphrase !== confirm) {
    throw new AccountError('passphrases_differ', 'The two passphrases are not the same. Type them again.');
  }
}
