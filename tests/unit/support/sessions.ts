import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { Session } from '$lib/model/session';
import type { Profile } from '$lib/model/schemas';
import { HearthDb } from '$lib/store/db';
import { firstDeviceKeyring, type Keyring } from '$lib/sync/keyring';
import { RecordStore } from '$lib/sync/records';
import { startRelay, type RunningRelay } from '../../helpers/relayProcess';

/**
 * Sessions of people on their own devices in one Node process, against a real relay: each with its own IndexedDB
 * (fake-indexeddb), keys and `ws` socket. Session reads the relay's address from `window.location`, as in the app.
 */
export interface Person {
  session: Session;
  keyring: Keyring;
  db: HearthDb;
  key: string;
}

export function pointAtRelay(port: number): void {
  const location = { protocol: 'http:', host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` };
  Object.assign(globalThis, {
    window: { location, addEventListener: () => undefined, removeEventListener: () => undefined },
    WebSocket,
  });
}

const opened: Person[] = [];

export async function openPerson(profile: Profile): Promise<Person> {
  await cryptoReady();
  const db = new HearthDb(`test-${crypto.randomUUID()}`);
  const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
  await new RecordStore(db, keyring.storageKey).put('profile', 'profile', profile);
  const session = await Session.open(db, keyring);
  const person = { session, keyring, db, key: Buffer.from(keyring.signPublic).toString('hex') };
  opened.push(person);
  return person;
}

export async function closePeople(): Promise<void> {
  for (const person of opened.splice(0)) {
    person.session.close();
    person.db.close();
    await Dexie.delete(person.db.name);
  }
}

/**
 * For the test file that calls it: a relay process started before its tests with sessions pointed at it, every
 * person's device closed after each test, and the relay stopped and its data removed after all of them.
 */
export function peopleAgainstRelay(): void {
  let relay: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay();
    pointAtRelay(relay.port);
  });

  afterEach(async () => {
    await closePeople();
  });

  afterAll(async () => {
    await relay.stop();
    relay.removeData();
  });
}

/** Wait until `check` holds, polling; fails with `what` after the timeout. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The fragment of an invite link (what the invitee's browser reads after '#'). */
export function fragmentOf(link: string): string {
  return link.slice(link.indexOf('#') + 1);
}
