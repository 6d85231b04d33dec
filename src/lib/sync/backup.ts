import {
  backupKeyFromRecoveryKey,
  BACKUP_STREAM_HEADER_BYTES,
  DecryptError,
  deriveVaultKey,
  fromBase64Url,
  newRecoveryKey,
  newVaultParams,
  openStream,
  sealStream,
  toBase64Url,
} from '../crypto';
import { concatBytes } from '../protocol/hex';
import type { HearthDb } from '../store/db';
import { createVaultWithKeys, firstDeviceKeyring, type Keyring } from './keyring';

/**
 * Recovery backups: this device's keys and its whole encrypted store in one file, sealed again as a whole, so the
 * record can be restored on a new phone when this one is lost. The rows are the store's own (already ciphertext
 * under the storage and room keys); the file adds the keyring and seals everything with libsodium's secretstream
 * under a recovery key shown once, or under the passphrase through Argon2id.
 *
 * File: MAGIC, u8 protection (1 recovery key | 2 passphrase), [passphrase: 16-byte salt, u32 ops, u32 mem],
 * 24-byte stream header, then chunks as u32 length + sealed bytes. Chunk plaintext is JSON with bytes as
 * {"$b": base64url}: first the manifest (keyring and row counts), then {table, rows} chunks, the last one FINAL.
 */
const MAGIC = new TextEncoder().encode('HEARTH-BACKUP-1\n');
const PROTECTION = { recoveryKey: 1, passphrase: 2 } as const;
const ROWS_PER_CHUNK = 500;

/** Every table the record lives in, in restore order. The vault is rebuilt under the new passphrase instead. */
export const BACKUP_TABLES = ['records', 'cursors', 'snapshots', 'envelopes', 'statuses', 'outbox'] as const;
type BackupTable = (typeof BACKUP_TABLES)[number];

export type BackupProtection = { kind: 'recoveryKey' } | { kind: 'passphrase'; passphrase: string };

export class BackupError extends Error {
  constructor(
    readonly code: 'not_a_backup' | 'wrong_secret' | 'damaged' | 'device_not_empty',
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupProgress {
  done: number;
  total: number;
}

interface Manifest {
  v: 1;
  createdAt: number;
  keyring: {
    signPublic: string;
    boxPublic: string;
    signSecret: string;
    boxSecret: string;
    storageKey: string;
    /** The identity a linked device acts for; absent on an account's first device, whose keys are the identity. */
    identity?: { signPublic: string; boxPublic: string };
  };
  counts: Record<BackupTable, number>;
}

/** Write the backup. Returns the file's parts and, for recovery-key protection, the key to show once. */
export async function writeBackup(
  db: HearthDb,
  keyring: Keyring,
  protection: BackupProtection,
  onProgress: (progress: BackupProgress) => void = () => undefined,
): Promise<{ parts: Uint8Array[]; recoveryKey: Uint8Array | null }> {
  const rows = await db.transaction(
    'r',
    BACKUP_TABLES.map((t) => db.table(t)),
    async () => {
      const out = {} as Record<BackupTable, unknown[]>;
      for (const table of BACKUP_TABLES) out[table] = await db.table(table).toArray();
      return out;
    },
  );
  let key: Uint8Array;
  let recoveryKey: Uint8Array | null = null;
  const head: Uint8Array[] = [MAGIC];
  if (protection.kind === 'recoveryKey') {
    recoveryKey = newRecoveryKey();
    key = backupKeyFromRecoveryKey(recoveryKey);
    head.push(new Uint8Array([PROTECTION.recoveryKey]));
  } else {
    const params = newVaultParams();
    key = deriveVaultKey(protection.passphrase, params);
    head.push(
      new Uint8Array([PROTECTION.passphrase]),
      params.salt,
      u32(params.opsLimit),
      u32(params.memLimit),
    );
  }
  const stream = sealStream(key);
  const parts: Uint8Array[] = [concatBytes(...head, stream.header)];
  const push = (value: unknown, final: boolean) => {
    const sealed = stream.push(new TextEncoder().encode(JSON.stringify(value, encodeBytes)), final);
    parts.push(u32(sealed.length), sealed);
  };
  const counts = Object.fromEntries(BACKUP_TABLES.map((t) => [t, rows[t].length])) as Record<
    BackupTable,
    number
  >;
  const manifest: Manifest = {
    v: 1,
    createdAt: Date.now(),
    keyring: {
      signPublic: toBase64Url(keyring.signPublic),
      boxPublic: toBase64Url(keyring.boxPublic),
      signSecret: toBase64Url(keyring.signSecret),
      boxSecret: toBase64Url(keyring.boxSecret),
      storageKey: toBase64Url(keyring.storageKey),
      ...(keyring.linked
        ? {
            identity: {
              signPublic: toBase64Url(keyring.identity.signPublic),
              boxPublic: toBase64Url(keyring.identity.boxPublic),
            },
          }
        : {}),
    },
    counts,
  };
  const chunks: { table: BackupTable; rows: unknown[] }[] = [];
  for (const table of BACKUP_TABLES) {
    for (let i = 0; i < rows[table].length; i += ROWS_PER_CHUNK) {
      chunks.push({ table, rows: rows[table].slice(i, i + ROWS_PER_CHUNK) });
    }
  }
  const total = chunks.reduce((n, c) => n + c.rows.length, 0);
  push(manifest, chunks.length === 0);
  let done = 0;
  for (const [i, chunk] of chunks.entries()) {
    push(chunk, i === chunks.length - 1);
    done += chunk.rows.length;
    onProgress({ done, total });
  }
  return { parts, recoveryKey };
}

/** What the person types to open a backup: the recovery key, or the passphrase it was made with. */
export type BackupSecret =
  { kind: 'recoveryKey'; recoveryKey: Uint8Array } | { kind: 'passphrase'; passphrase: string };

/** How a backup file is protected, so the restore screen can ask for the right thing. */
export function backupProtection(file: Uint8Array): 'recoveryKey' | 'passphrase' {
  if (file.length < MAGIC.length + 1 || !MAGIC.every((b, i) => file[i] === b)) {
    throw new BackupError('not_a_backup', 'This file is not a Hearth backup.');
  }
  const kind = file[MAGIC.length];
  if (kind === PROTECTION.recoveryKey) return 'recoveryKey';
  if (kind === PROTECTION.passphrase) return 'passphrase';
  throw new BackupError('not_a_backup', 'This backup was made by a newer version of Hearth.');
}

/**
 * Restore a backup into an empty store on this device, protecting the keys with `newPassphrase`. Everything is
 * checked (every chunk authenticated, the last one present) before anything is written, and the vault is written
 * last, so a failed or interrupted restore never leaves a half account behind.
 */
export async function restoreBackup(
  db: HearthDb,
  file: Uint8Array,
  secret: BackupSecret,
  newPassphrase: string,
  onProgress: (progress: BackupProgress) => void = () => undefined,
): Promise<Keyring> {
  backupProtection(file);
  if ((await db.vault.count()) > 0) {
    throw new BackupError('device_not_empty', 'This device already has a Hearth account.');
  }
  let offset = MAGIC.length + 1;
  let key: Uint8Array;
  if (secret.kind === 'recoveryKey') {
    if (file[MAGIC.length] !== PROTECTION.recoveryKey) throw wrongSecret();
    key = backupKeyFromRecoveryKey(secret.recoveryKey);
  } else {
    if (file[MAGIC.length] !== PROTECTION.passphrase) throw wrongSecret();
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const salt = file.slice(offset, offset + 16);
    const opsLimit = view.getUint32(offset + 16);
    const memLimit = view.getUint32(offset + 20);
    offset += 24;
    key = deriveVaultKey(secret.passphrase, { salt, opsLimit, memLimit });
  }
  const stream = openStream(key, file.slice(offset, offset + BACKUP_STREAM_HEADER_BYTES));
  offset += BACKUP_STREAM_HEADER_BYTES;
  const values: unknown[] = [];
  let final = false;
  while (offset < file.length && !final) {
    if (offset + 4 > file.length) throw damaged();
    const length = new DataView(file.buffer, file.byteOffset + offset, 4).getUint32(0);
    const sealed = file.slice(offset + 4, offset + 4 + length);
    if (sealed.length !== length) throw damaged();
    offset += 4 + length;
    try {
      const pulled = stream.pull(sealed);
      final = pulled.final;
      values.push(JSON.parse(new TextDecoder().decode(pulled.chunk), decodeBytes));
    } catch (error) {
      // The first chunk failing means the key is wrong; a later one, that the file was altered.
      if (error instanceof DecryptError) throw values.length === 0 ? wrongSecret() : damaged();
      throw damaged();
    }
  }
  if (!final || offset !== file.length) throw damaged();
  const [manifest, ...chunks] = values as [Manifest, ...{ table: BackupTable; rows: object[] }[]];
  if (manifest?.v !== 1 || chunks.some((c) => !BACKUP_TABLES.includes(c.table) || !Array.isArray(c.rows))) {
    throw damaged();
  }
  const keyring = keyringFromManifest(manifest.keyring);
  const total = chunks.reduce((n, c) => n + c.rows.length, 0);
  let done = 0;
  await db.transaction(
    'rw',
    BACKUP_TABLES.map((t) => db.table(t)),
    async () => {
      for (const table of BACKUP_TABLES) await db.table(table).clear();
    },
  );
  for (const chunk of chunks) {
    await db.table(chunk.table).bulkPut(chunk.rows);
    done += chunk.rows.length;
    onProgress({ done, total });
  }
  await createVaultWithKeys(db, newPassphrase, keyring);
  return keyring;
}

/** The keyring a backup carries: a linked device's keeps the identity it acts for, a first device's is its own. */
function keyringFromManifest(saved: Manifest['keyring']): Keyring {
  const keys = {
    signPublic: fromBase64Url(saved.signPublic),
    boxPublic: fromBase64Url(saved.boxPublic),
    signSecret: fromBase64Url(saved.signSecret),
    boxSecret: fromBase64Url(saved.boxSecret),
  };
  const storageKey = fromBase64Url(saved.storageKey);
  if (!saved.identity) return firstDeviceKeyring(keys, storageKey);
  const identity = {
    signPublic: fromBase64Url(saved.identity.signPublic),
    boxPublic: fromBase64Url(saved.identity.boxPublic),
  };
  return { ...keys, storageKey, identity, linked: true };
}

function wrongSecret(): BackupError {
  return new BackupError('wrong_secret', 'That recovery key or passphrase does not open this backup.');
}

function damaged(): BackupError {
  return new BackupError('damaged', 'This backup file is incomplete or has been changed.');
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function encodeBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b: toBase64Url(value) } : value;
}

function decodeBytes(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$b' in value && typeof value.$b === 'string') {
    return fromBase64Url(value.$b);
  }
  return value;
}
