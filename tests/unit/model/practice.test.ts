import { describe, expect, it } from 'vitest';
import { InviteError } from '$lib/sync/invites';
import { fragmentOf, openPerson, peopleAgainstRelay, until, type Person } from '../support/sessions';

// A practice is a room whose members are its professionals: people on their own devices, through the model API,
// against a real relay process.

peopleAgainstRelay();

const professional = (name: string) =>
  openPerson({ name, role: 'therapist', replyPromise: 'Within one working day.' });

function practiceOf(person: Person, room: string) {
  const found = person.session.conversations.get(room);
  if (!found?.isPractice) throw new Error('no such practice on this device');
  return found;
}

function contactOf(person: Person, other: Person) {
  return person.session.contacts().find((c) => c.key === other.key);
}

/** Ana sets up a practice and Dan joins it by her practice invite; both see both in its directory. */
async function practiceOfTwo() {
  const ana = await professional('Dr. Ana Reyes');
  const dan = await professional('Dr. Dan Lee');
  const room = await ana.session.startPractice('Riverside Practice');
  const link = await ana.session.invitePractice(room);
  expect(link).toMatch(/\/invite#v1\.[^.]+\.[^.]+\.practice$/);
  expect(await dan.session.acceptInvite(fragmentOf(link))).toBe(room);
  await until('both see both professionals, introduced', () =>
    [ana, dan].every((p) => {
      const names = practiceOf(p, room)
        .participants()
        .map((m) => m.name);
      return names.includes('Dr. Ana Reyes') && names.includes('Dr. Dan Lee');
    }),
  );
  return { ana, dan, room };
}

describe('a practice and its directory of professionals', () => {
  it('makes every professional of a practice a contact of every other, under its name', async () => {
    const { ana, dan, room } = await practiceOfTwo();
    await until('they are each other’s contacts', () => !!contactOf(ana, dan) && !!contactOf(dan, ana));
    expect(contactOf(ana, dan)).toMatchObject({ name: 'Dr. Dan Lee', role: 'therapist', source: 'practice' });
    expect(contactOf(dan, ana)).toMatchObject({
      name: 'Dr. Ana Reyes',
      role: 'therapist',
      source: 'practice',
    });

    const danSees = practiceOf(dan, room);
    expect(danSees.practiceName).toBe('Riverside Practice');
    expect(danSees.canManage).toBe(false);
    expect(danSees.participants().find((m) => m.key === ana.key)).toMatchObject({ isManager: true });
    expect(practiceOf(ana, room).canManage).toBe(true);

    // A colleague can be talked with like any other contact.
    const conversation = await dan.session.startConversation('Case review', [ana.key]);
    await until('Ana has the conversation with Dan, with no nickname asked', () => {
      const found = ana.session.conversations.get(conversation);
      return found?.topic === 'Case review' && found.participants().length === 2 && !found.needsNickname;
    });
  });

  it('takes the contact away when a professional is removed, unless they are a contact for another reason', async () => {
    const { ana, dan, room } = await practiceOfTwo();
    const eve = await professional('Dr. Eve Park');
    // Eve already knew Ana: she took an invite of Ana's to a conversation before joining the practice.
    const { link: direct } = await ana.session.createInvite('Eve');
    await eve.session.acceptInvite(fragmentOf(direct));
    await until(
      'Ana and Eve are contacts by invite',
      () => contactOf(ana, eve)?.source === 'accepted-my-invite',
    );
    await eve.session.acceptInvite(fragmentOf(await ana.session.invitePractice(room)));
    await until('everyone in the practice is everyone’s contact', () =>
      [
        [ana, dan],
        [ana, eve],
        [dan, eve],
        [eve, dan],
      ].every(([a, b]) => !!contactOf(a, b)),
    );

    await practiceOf(ana, room).removeParticipant(dan.key);
    await until('Dan is out, on every device', () =>
      [ana, eve].every(
        (p) =>
          !practiceOf(p, room)
            .participants()
            .some((m) => m.key === dan.key),
      ),
    );
    expect(contactOf(ana, dan)).toBeUndefined();
    expect(contactOf(eve, dan)).toBeUndefined();
    await until(
      'Dan knows he was removed, and has no colleagues left',
      () => dan.session.practices().length === 0 && !contactOf(dan, ana) && !contactOf(dan, eve),
    );
    await until('the practice is in a new key epoch', () => practiceOf(ana, room).record.epoch > 2);

    await practiceOf(ana, room).removeParticipant(eve.key);
    await until('Eve is out', () => eve.session.practices().length === 0);
    // Still Ana's contact, by the invite she took, which has nothing to do with the practice.
    expect(contactOf(ana, eve)?.source).toBe('accepted-my-invite');
    expect(contactOf(eve, ana)?.source).toBe('invited-me');
  });

  it('keeps practices out of the conversations list and its summaries, on every member’s device', async () => {
    const { ana, dan, room } = await practiceOfTwo();
    const { room: conversation } = await ana.session.createInvite('a client');
    for (const person of [ana, dan]) {
      expect(person.session.index.list().map((c) => c.room)).not.toContain(room);
      expect(person.session.index.item(room)).toBeUndefined();
      expect(person.session.list().map((c) => c.room)).not.toContain(room);
      expect(person.session.practices().map((p) => p.room)).toEqual([room]);
    }
    expect(ana.session.index.list().map((c) => c.room)).toEqual([conversation]);
    expect(ana.session.index.size).toBe(1);
    expect(dan.session.index.size).toBe(0);
  });

  it('refuses a practice invite on a client’s account, before claiming it', async () => {
    const ana = await professional('Dr. Ana Reyes');
    const client = await openPerson({ name: 'Ben Okafor', role: 'client', replyPromise: '' });
    const room = await ana.session.startPractice('Riverside Practice');
    const link = await ana.session.invitePractice(room);
    const refused = await client.session.acceptInvite(fragmentOf(link)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InviteError);
    expect((refused as InviteError).code).toBe('professionals_only');
    expect(client.session.index.has(room)).toBe(false);
    // The link is still unused: a professional can take it.
    const dan = await professional('Dr. Dan Lee');
    expect(await dan.session.acceptInvite(fragmentOf(link))).toBe(room);
  });
});
