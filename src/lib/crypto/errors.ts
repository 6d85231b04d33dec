/** Authentication failed: wrong key, altered ciphertext or altered associated data. */
export class DecryptError extends Error {
  readonly code = 'decrypt_failed';
  constructor(message = 'could not decrypt: wrong key or altered data') {
    super(message);
    this.name = 'DecryptError';
  }
}

/** The passphrase did not open the vault. */
export class WrongPassphraseError extends Error {
  readonly code = 'wrong_passphrase';
  constructor() {
    super('That passphrase did not unlock Hearth on this device.');
    this.name = 'WrongPassphraseError';
  }
}
