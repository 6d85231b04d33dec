import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import * as Y from 'yjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '$lib/crypto';
import { OfficeHours, PersonEntry, type Profile } from '$lib/model/schemas';
import { toHex } from '$lib/protocol/hex';
import { firstDeviceKeyring } from '$lib/sync/keyring';
import { REMOTE_ORIGIN } from '$lib/sync/roomSync';
import { openOffline, THERAPIST, therapistRoom } from '../support/offlineConversation';
import { freshDb } from '../support/testDb';

const NINE_TO_FIVE = [{ start: 540, end: 1020 }];
const HOURS = OfficeHours.parse({
  timeZone: 'Europe/London',
  week: [[], NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, []],
  replyWithin: { amount: 1, unit: 'days' },
  awayMessage: 'Back on Monday.',
});

describe('a therapist’s introduction after their office hours change', () => {
  const names: string[] = [];
  beforeAll(cryptoReady);
  afterEach(async () => {
    for (const name of names.splice(0)) await Dexie.delete(name);
  });

  /** A therapist's conversation, offline, and their own entry in its `people` as it stands. */
  async function therapistOffline() {
    const db = freshDb();
    names.push(db.name);
    const keyring = firstDeviceKeyring(generateDeviceKeys(), newSymmetricKey());
    const conversation = await openOffline(db, keyring, therapistRoom(keyring, 'Sam'));
    const me = toHex(keyring.identity.signPublic);
    const entry = () => PersonEntry.parse(conversation.doc.getMap('people').get(me));
    return { db, conversation, me, entry };
  }

  it('is rewritten offline, queued like a message, and only when it says something new', async () => {
    const { db, conversation, entry } = await therapistOffline();
    expect(entry().hours).toBeUndefined();
    const queued = await db.outbox.count();

    const profile: Profile = { ...THERAPIST, hours: HOURS, replyPromise: 'within 1 working day' };
    await conversation.refreshIntroduction(profile);
    expect(entry()).toEqual({ ...THERAPIST, replyPromise: 'within 1 working day', hours: HOURS });
    expect(await db.outbox.count()).toBe(queued + 1);

    await conversation.refreshIntroduction(profile);
    expect(await db.outbox.count()).toBe(queued + 1);
    conversation.close();
    db.close();
  });

  it('keeps newer hours another of the therapist’s devices published when this one rewrites it for a nickname', async () => {
    const { db, conversation, me, entry } = await therapistOffline();
    const withHours = (hours: OfficeHours, replyPromise: string): Profile => ({
      ...THERAPIST,
      hours,
      replyPromise,
    });
    await conversation.refreshIntroduction(withHours(HOURS, 'within 1 working day'));

    // The laptop publishes later hours; this device's profile still holds the earlier ones.
    const later = OfficeHours.parse({ ...HOURS, replyWithin: { amount: 2, unit: 'days' } });
    const laptop = new Y.Doc();
    Y.applyUpdate(laptop, Y.encodeStateAsUpdate(conversation.doc));
    laptop.getMap('people').set(me, { ...entry(), hours: later, replyPromise: 'within 2 working days' });
    Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(laptop), REMOTE_ORIGIN);

    await conversation.setNickname('Rowan');
    expect(entry()).toMatchObject({ name: 'Rowan', hours: later, replyPromise: 'within 2 working days' });

    // Saving hours on this device replaces them.
    const saved = OfficeHours.parse({ ...HOURS, replyWithin: { amount: 3, unit: 'days' } });
    await conversation.refreshIntroduction(withHours(saved, 'within 3 working days'));
    expect(entry()).toMatchObject({ name: 'Rowan', hours: saved, replyPromise: 'within 3 working days' });
    conversation.close();
    db.close();
  });
});
