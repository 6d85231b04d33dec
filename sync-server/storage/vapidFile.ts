import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { VapidKeyPair } from './RelayStorage';

const VapidFile = z.object({ publicKey: z.string().min(1), privateKey: z.string().min(1) });

/** Where an embedded (SQLite) relay keeps its VAPID key pair: beside its database, readable by its user only. */
export const VAPID_FILE_NAME = 'vapid.json';

/**
 * The key pair in `dataDir/vapid.json`, writing `candidate` there first if the file does not exist. The file is
 * created whole with mode 0600 and linked into place, so a crash or a second process never leaves half a key.
 */
export function claimVapidFile(dataDir: string, candidate: VapidKeyPair): VapidKeyPair {
  const file = path.join(dataDir, VAPID_FILE_NAME);
  const existing = readVapidFile(file);
  if (existing) return existing;
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(candidate), { mode: 0o600, flag: 'w' });
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    // Another process linked its pair first: that one is the relay's.
    if (!isCode(error, 'EEXIST')) throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  const stored = readVapidFile(file);
  if (!stored) throw new Error(`${file} vanished while it was being created`);
  return stored;
}

function readVapidFile(file: string): VapidKeyPair | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  // A damaged file is refused rather than replaced: new keys would silently end every device's subscription.
  // The parse errors are not passed on: V8's JSON message quotes the text, which holds the private key.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = VapidFile.safeParse(parsed);
  if (!result.success)
    throw new Error(`${file} is damaged; restore it from a backup, or delete it to make new keys`);
  return result.data;
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
