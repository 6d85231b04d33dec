import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../helpers/relayProcess';
import { closePeople, fragmentOf, openPerson, pointAtRelay, until, type Person } from '../support/sessions';

// People on their own devices, through the model API, against a real relay process.

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

const therapist = () =>
  openPerson({ name: 'Dr. Ana Reyes', role: 'therapist', replyPromise: 'Within one working day.' });
const client = () => openPerson({ name: 'Ben Okafor', role: 'client', replyPromise: '' });
const family = () => openPerson({ name: 'Cara Okafor', role: 'client', replyPromise: '' });

/** `inviter` invites `invitee`; both end up as each other's contacts. */
async function connectByInvite(inviter: Person, invitee: Person): Promise<string> {
  const { link, room } = await inviter.session.createInvite('for them');
  await invitee.session.acceptInvite(fragmentOf(link));
  await until(
    'both are contacts',
    () =>
      inviter.session.contacts().some((c) => c.key === invitee.key) &&
      invitee.session.contacts().some((c) => c.key === inviter.key),
  );
  return room;
}

function conversation(person: Person, room: string) {
  const found = person.session.conversations.get(room);
  if (!found) throw new Error('no such conversation on this device');
  return found;
}

describe('conversations with a topic, a manager and participants', () => {
  it('lets a client start a group with their therapist and a family member, who find it without a link', async () => {
    const ana = await therapist();
    const ben = await client();
    const cara = await family();
    await connectByInvite(ana, ben);
    await connectByInvite(ben, cara);
    expect(ben.session.contacts().map((c) => c.name)).toEqual(['Cara Okafor', 'Dr. Ana Reyes']);

    const room = await ben.session.startConversation('Family session', [ana.key, cara.key]);
    const mine = conversation(ben, room);
    expect(mine.manager).toBe(ben.key);
    expect(mine.canManage).toBe(true);
    expect(mine.topic).toBe('Family session');

    await until('Ana and Cara have the conversation, its topic and its key', () =>
      [ana, cara].every((p) => p.session.conversations.get(room)?.topic === 'Family session'),
    );
    await until('everyone sees all three participants', () =>
      [ana, ben, cara].every((p) => conversation(p, room).participants().length === 3),
    );
    // Ana and Cara are not each other's contacts: each is asked to pick how to appear first.
    expect(conversation(ana, room).needsNickname).toBe(true);
    expect(conversation(ben, room).needsNickname).toBe(false);
    await conversation(cara, room).setNickname('Ben’s sister');
    await conversation(ana, room).setNickname(null);
    await until('Ana sees Cara under her nickname', () =>
      conversation(ana, room)
        .participants()
        .some((p) => p.key === cara.key && p.name === 'Ben’s sister' && p.nickname === 'Ben’s sister'),
    );
    const bensView = conversation(ben, room)
      .participants()
      .find((p) => p.key === cara.key);
    expect(bensView).toMatchObject({ name: 'Cara Okafor', isContact: true, isManager: false });

    await conversation(cara, room).send('Hello both');
    await until('Ana reads Cara', () =>
      conversation(ana, room)
        .messages()
        .some((m) => m.text === 'Hello both'),
    );
    expect(
      conversation(ana, room)
        .auditTrail()
        .map((line) => line.text),
    ).toEqual(expect.arrayContaining(['Ben Okafor added You', 'Ben Okafor added Ben’s sister']));
  });

  it('removes a participant, who keeps what they had and can read nothing written after', async () => {
    const ana = await therapist();
    const ben = await client();
    const cara = await family();
    await connectByInvite(ana, ben);
    await connectByInvite(ben, cara);
    const room = await ben.session.startConversation('Family session', [ana.key, cara.key]);
    await until('everyone has the conversation with three participants', () =>
      [ana, cara].every((p) => p.session.conversations.get(room)?.participants().length === 3),
    );
    await conversation(cara, room).setNickname(null);
    await conversation(cara, room).send('Before I was removed');
    await until('Ben has Cara’s message', () =>
      conversation(ben, room)
        .messages()
        .some((m) => m.text === 'Before I was removed'),
    );

    await conversation(ben, room).removeParticipant(cara.key);
    await until('Cara knows she was removed', () => !conversation(cara, room).isMember);
    await until('the others are in a new key epoch', () =>
      [ana, ben].every((p) => conversation(p, room).record.epoch > 2),
    );
    await conversation(ana, room).send('After Cara left');
    await until('Ben reads it', () =>
      conversation(ben, room)
        .messages()
        .some((m) => m.text === 'After Cara left'),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      conversation(cara, room)
        .messages()
        .map((m) => m.text),
    ).toContain('Before I was removed');
    expect(
      conversation(cara, room)
        .messages()
        .map((m) => m.text),
    ).not.toContain('After Cara left');
    expect(conversation(cara, room).record.epoch).toBeLessThan(conversation(ben, room).record.epoch);
    await expect(conversation(cara, room).leave()).rejects.toThrow();
  });
});
