import {
  deriveVaultKey,
  generateDeviceKeys,
  newSymmetricKey,
  newVaultParams,
  unwrapKeyring,
  wrapKeyring,
  type DeviceKeys,
} from '../crypto';
import { concatBytes } from '../protocol/hex';
import type { HearthDb, VaultRow } from '../store/db';

/**
 * The device's secrets once unlocked: its identity keys and the storage key that encrypts local records.
 * Lives in memory only; locking forgets it. The storage key is random and wrapped (not derived from the
 * passphrase) so a passphrase change re-wraps one small blob instead of re-encrypting the store.
 */
export interface Keyring extends DeviceKeys {
  storageKey: Uint8Array;
  /**
   * The account this device acts for. On the first device these are its own keys (and only it holds the identity's
   * secret, so only it links and removes devices); a linked device gets them in its grant.
   */
  identity: PublicKeys;
  /** True on a linked device: its own keys are not the identity. */
  linked: boolean;
}

export interface PublicKeys {
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
}

export class NoAccountError extends Error {
  readonly code = 'no_account';
  constructor() {
    super('There is no Hearth account on this device yet.');
    this.name = 'NoAccountError';
  }
}

const KEYRING_VERSION = 1;

function encodeKeyring(k: Keyring): Uint8Array {
  return concatBytes(new Uint8Array([KEYRING_VERSION]), k.signSecret, k.boxSecret, k.storageKey);
}

function decodeKeyring(row: VaultRow, bytes: Uint8Array): Keyring {
  if (bytes[0] !== KEYRING_VERSION || bytes.length !== 1 + 64 + 32 + 32) {
    throw new Error('keyring format not recognised');
  }
  const linked = row.identitySignPublic !== undefined && row.identityBoxPublic !== undefined;
  return {
    signPublic: row.signPublic,
    boxPublic: row.boxPublic,
    signSecret: bytes.slice(1, 65),
    boxSecret: bytes.slice(65, 97),
    storageKey: bytes.slice(97, 129),
    identity: linked
      ? { signPublic: row.identitySignPublic!, boxPublic: row.identityBoxPublic! }
      : { signPublic: row.signPublic, boxPublic: row.boxPublic },
    linked,
  };
}

/** The keyring of an account's first device: its own keys are the identity. */
export function firstDeviceKeyring(keys: DeviceKeys, storageKey: Uint8Array): Keyring {
  return {
    ...keys,
    storageKey,
    identity: { signPublic: keys.signPublic, boxPublic: keys.boxPublic },
    linked: false,
  };
}

/** True when this device already has an account. */
export async function hasVault(db: HearthDb): Promise<boolean> {
  return (await db.vault.get('device')) !== undefined;
}

/** Make the device's keys, wrap them under the passphrase, and store them (one strict transaction). */
export async function createVault(db: HearthDb, passphrase: string): Promise<Keyring> {
  return createVaultWithKeys(db, passphrase, firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey()));
}

/** Store a linked device's vault: its own keys (made when linking began) and the identity it acts for. */
export async function createLinkedVault(
  db: HearthDb,
  passphrase: string,
  keys: DeviceKeys,
  identity: PublicKeys,
): Promise<Keyring> {
  return createVaultWithKeys(db, passphrase, {
    ...keys,
    storageKey: newSymmetricKey(),
    identity,
    linked: true,
  });
}

/** Store a given keyring (new, linked, or restored from a backup) wrapped under the passphrase. */
export async function createVaultWithKeys(
  db: HearthDb,
  passphrase: string,
  keyring: Keyring,
): Promise<Keyring> {
  const params = newVaultParams();
  const wrapped = wrapKeyring(deriveVaultKey(passphrase, params), encodeKeyring(keyring));
  await db.vault.add({
    id: 'device',
    signPublic: keyring.signPublic,
    boxPublic: keyring.boxPublic,
    salt: params.salt,
    opsLimit: params.opsLimit,
    memLimit: params.memLimit,
    nonce: wrapped.nonce,
    ciphertext: wrapped.ciphertext,
    createdAt: Date.now(),
    ...(keyring.linked
      ? { identitySignPublic: keyring.identity.signPublic, identityBoxPublic: keyring.identity.boxPublic }
      : {}),
  });
  return keyring;
}

/** Open the keyring with the passphrase; throws `WrongPassphraseError` or `NoAccountError`. */
export async function unlockVault(db: HearthDb, passphrase: string): Promise<Keyring> {
  const row = await db.vault.get('device');
  if (!row) throw new NoAccountError();
  const vaultKey = deriveVaultKey(passphrase, {
    salt: row.salt,
    opsLimit: row.opsLimit,
    memLimit: row.memLimit,
  });
  return decodeKeyring(row, unwrapKeyring(vaultKey, { nonce: row.nonce, ciphertext: row.ciphertext }));
}

/**
 * Change the passphrase: open the keyring with the current one (so a wrong one changes nothing), then wrap the same
 * keyring under a key derived from the new one with a fresh salt. Only the small vault row is rewritten; every
 * record and envelope stays as it is, because none of them is encrypted under the passphrase.
 */
export async function rewrapVault(db: HearthDb, current: string, next: string): Promise<void> {
  const keyring = await unlockVault(db, current);
  const params = newVaultParams();
  const wrapped = wrapKeyring(deriveVaultKey(next, params), encodeKeyring(keyring));
  await db.vault.update('device', {
    salt: params.salt,
    opsLimit: params.opsLimit,
    memLimit: params.memLimit,
    nonce: wrapped.nonce,
    ciphertext: wrapped.ciphertext,
  });
}
