import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { AWAY_MAP } from '$lib/model/awayReply';
import { OfficeHoursError } from '$lib/model/officeHoursForm';
import { OfficeHours, Profile, type MessageEntry } from '$lib/model/schemas';
import type { RecordRow } from '$lib/store/db';
import { RecordStore } from '$lib/sync/records';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';
import { fragmentOf, openPerson, peopleAgainstRelay, until, type Person } from '../support/sessions';

// A therapist and a client on their own devices, through the model API, against a real relay process.

peopleAgainstRelay();

const AWAY = 'Thank you for writing. I am away from the office and will answer when I am back.';

/**
 * Office hours that are closed now, whenever the test runs: open only on the day three days from today (UTC), so a
 * message written now and the moment it arrives fall in one closed stretch.
 */
function closedNow(): OfficeHours {
  const week: { start: number; end: number }[][] = [[], [], [], [], [], [], []];
  week[(new Date().getUTCDay() + 3) % 7] = [{ start: 9 * 60, end: 17 * 60 }];
  return OfficeHours.parse({
    timeZone: 'UTC',
    week,
    replyWithin: { amount: 2, unit: 'days' },
    awayMessage: AWAY,
  });
}

/** Ana invites Ben; resolves once each has the other's introduction. */
async function ourConversation(): Promise<{ ana: Person; ben: Person; room: string }> {
  const ana = await openPerson({ name: 'Dr. Ana Reyes', role: 'therapist', replyPromise: 'within a day' });
  const ben = await openPerson({ name: 'Ben Okafor', role: 'client', replyPromise: '' });
  const { link, room } = await ana.session.createInvite('Ben');
  await ben.session.acceptInvite(fragmentOf(link));
  await until('both are introduced on both devices', () =>
    [ana, ben].every((p) => p.session.conversations.get(room)?.people().size === 2),
  );
  return { ana, ben, room };
}

function conversation(person: Person, room: string) {
  const found = person.session.conversations.get(room);
  if (!found) throw new Error('no such conversation on this device');
  return found;
}

function automatic(person: Person, room: string): unknown[] {
  return conversation(person, room)
    .doc.getArray('messages')
    .toArray()
    .filter((m) => (m as MessageEntry).auto === 'away');
}

describe('office hours between a therapist and a client', () => {
  it('are sealed in the profile and rewrite the therapist’s introduction, which the client reads', async () => {
    const { ana, ben, room } = await ourConversation();
    const hours = closedNow();
    await ana.session.saveOfficeHours(hours);

    expect(ana.session.profile.hours).toEqual(hours);
    expect(ana.session.profile.replyPromise).toBe('within 2 working days');
    const stored = await new RecordStore(ana.db, ana.keyring.storageKey).get('profile', Profile);
    expect(stored?.hours).toEqual(hours);
    const rows = (await readRawRows(ana.db.name, 'records')) as RecordRow[];
    for (const row of rows) expect(containsBytes(rowBytes(row), new TextEncoder().encode(AWAY))).toBe(false);

    await until(
      'Ben reads Ana’s hours',
      () => conversation(ben, room).people().get(ana.key)?.hours !== undefined,
    );
    const published = conversation(ben, room).people().get(ana.key);
    expect(published?.hours).toEqual(hours);
    expect(published?.replyPromise).toBe('within 2 working days');

    // The same hours again change nothing in the document.
    const before = Y.encodeStateVector(conversation(ana, room).doc);
    await ana.session.saveOfficeHours(hours);
    expect(Y.encodeStateVector(conversation(ana, room).doc)).toEqual(before);
  });

  it('come down when cleared: the sealed profile and the client’s copy of the introduction lose them', async () => {
    const { ana, ben, room } = await ourConversation();
    await ana.session.saveOfficeHours(closedNow());
    await until(
      'Ben reads Ana’s hours',
      () => conversation(ben, room).people().get(ana.key)?.hours !== undefined,
    );

    await ana.session.clearOfficeHours();
    expect(ana.session.profile.hours).toBeUndefined();
    const stored = await new RecordStore(ana.db, ana.keyring.storageKey).get('profile', Profile);
    expect(stored).toBeDefined();
    expect(stored?.hours).toBeUndefined();
    expect(conversation(ana, room).people().get(ana.key)?.hours).toBeUndefined();
    await until(
      'Ben’s copy of Ana’s introduction loses the hours',
      () => conversation(ben, room).people().get(ana.key)?.hours === undefined,
    );
    const published = conversation(ben, room).people().get(ana.key);
    expect(published).toMatchObject({ name: 'Dr. Ana Reyes', replyPromise: 'within 2 working days' });
    expect(published).not.toHaveProperty('hours');
    await expect(ben.session.clearOfficeHours()).rejects.toMatchObject({ code: 'not_a_professional' });
  });

  it('are refused for a client, and when they do not parse, before anything changes', async () => {
    const { ben } = await ourConversation();
    await expect(ben.session.saveOfficeHours(closedNow())).rejects.toBeInstanceOf(OfficeHoursError);
    expect(ben.session.profile.hours).toBeUndefined();
    const ana = await openPerson({ name: 'Dr. Ana Reyes', role: 'therapist', replyPromise: '' });
    const broken = { ...closedNow(), timeZone: 'Nowhere/Special' };
    await expect(ana.session.saveOfficeHours(broken)).rejects.toMatchObject({ code: 'invalid' });
    expect(ana.session.profile.hours).toBeUndefined();
  });

  it('send the away message once a day, however many times the client writes outside them', async () => {
    const { ana, ben, room } = await ourConversation();
    await ana.session.saveOfficeHours(closedNow());
    await until(
      'Ben has Ana’s hours',
      () => conversation(ben, room).people().get(ana.key)?.hours !== undefined,
    );

    await conversation(ben, room).send('Are we still on for next week?');
    await until('Ben receives the away message', () =>
      conversation(ben, room)
        .messages()
        .some((m) => m.auto === 'away'),
    );
    const reply = conversation(ben, room)
      .messages()
      .find((m) => m.auto === 'away');
    expect(reply).toMatchObject({ text: AWAY, by: ana.key, mine: false, authorName: 'Dr. Ana Reyes' });

    await conversation(ben, room).send('Also, can we talk about my sister?');
    await until('Ana has the second message', () =>
      conversation(ana, room)
        .messages()
        .some((m) => m.text === 'Also, can we talk about my sister?'),
    );
    expect(automatic(ana, room)).toHaveLength(1);
    expect(conversation(ana, room).doc.getMap(AWAY_MAP).size).toBe(1);
    await until('Ben’s second message is delivered', () =>
      conversation(ben, room)
        .messages()
        .some((m) => m.text.startsWith('Also') && m.state === 'delivered'),
    );
    expect(automatic(ben, room)).toHaveLength(1);
    expect(
      conversation(ana, room)
        .messages()
        .filter((m) => m.auto),
    ).toEqual([expect.objectContaining({ mine: true, state: expect.any(String) })]);
  });
});
