import { describe, expect, it } from 'vitest';
import { fromBase64Url } from '$lib/crypto';
import { openUpdate } from '$lib/sync/envelopeSeal';
import { fragmentOf, openPerson, peopleAgainstRelay, until, type Person } from '../support/sessions';

// People on their own devices, through the model API, against a real relay process.

peopleAgainstRelay();

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

/** Ana (therapist), Ben (client) and Cara (Ben's sister) in a conversation Ben started, everyone introduced. */
async function familyGroup() {
  const ana = await therapist();
  const ben = await client();
  const cara = await family();
  await connectByInvite(ana, ben);
  await connectByInvite(ben, cara);
  const room = await ben.session.startConversation('Family session', [ana.key, cara.key]);
  await until('everyone has the conversation with three participants', () =>
    [ana, cara].every((p) => p.session.conversations.get(room)?.participants().length === 3),
  );
  await conversation(ana, room).setNickname(null);
  await conversation(cara, room).setNickname(null);
  return { ana, ben, cara, room };
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
    ).toEqual(expect.arrayContaining(['Ben Okafor added you', 'Ben Okafor added Ben’s sister']));
  });

  it('removes a participant, who keeps what they had and can read nothing written after', async () => {
    const { ana, ben, cara, room } = await familyGroup();
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
    // Not only withheld by the relay: with every key her device holds, the envelope does not open.
    const keysOf = (person: Person) => {
      const keys = conversation(person, room).record.keys;
      return (epoch: number) => (keys[epoch] ? fromBase64Url(keys[epoch]) : undefined);
    };
    const stored = await ben.db.envelopes.where('room').equals(room).toArray();
    const after = stored.filter((row) => {
      const opened = openUpdate(row.bytes, keysOf(ben));
      return opened.ok && new TextDecoder().decode(opened.update).includes('After Cara left');
    });
    expect(after).toHaveLength(1);
    expect(openUpdate(after[0].bytes, keysOf(cara))).toEqual({ ok: false, reason: 'unknown_epoch' });
    await expect(conversation(cara, room).leave()).rejects.toThrow();
  });

  it('moves to a new key when someone leaves while the manager is away: another member files it', async () => {
    const { ana, ben, cara, room } = await familyGroup();
    const epochBefore = conversation(ana, room).record.epoch;
    ben.session.connection.stop();
    await conversation(cara, room).leave();
    await until('Cara is out', () => !conversation(cara, room).isMember);
    await until(
      'Ana holds the next epoch’s key, made by her own device after a pause',
      () => conversation(ana, room).record.epoch > epochBefore,
    );
    await conversation(ana, room).send('Only for the two of us now');
    ben.session.connection.start();
    await until('Ben, back, reads it', () =>
      conversation(ben, room)
        .messages()
        .some((m) => m.text === 'Only for the two of us now'),
    );
    expect(
      conversation(ben, room)
        .auditTrail()
        .map((l) => l.text),
    ).toContain('Cara Okafor left');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      conversation(cara, room)
        .messages()
        .map((m) => m.text),
    ).not.toContain('Only for the two of us now');
  });

  it('hands the conversation over, after which the old manager may leave', async () => {
    const { ana, ben, room } = await familyGroup();
    await expect(conversation(ben, room).leave()).rejects.toMatchObject({ code: 'manager_cannot_leave' });
    await expect(conversation(ana, room).setTopic('Mine now')).rejects.toMatchObject({ code: 'not_manager' });
    await conversation(ben, room).handOver(ana.key);
    await until('Ana manages it', () => conversation(ana, room).canManage);
    expect(conversation(ben, room).canManage).toBe(false);
    await conversation(ana, room).setTopic('Family sessions with Dr. Reyes');
    await until(
      'Ben sees the new topic',
      () => conversation(ben, room).topic === 'Family sessions with Dr. Reyes',
    );
    await conversation(ben, room).leave();
    await until('Ana sees Ben leave', () =>
      conversation(ana, room)
        .participants()
        .every((p) => p.key !== ben.key),
    );
    const lines = conversation(ana, room)
      .auditTrail()
      .map((l) => l.text);
    expect(lines).toEqual(
      expect.arrayContaining([
        'Ben Okafor made you the manager',
        'You renamed the conversation to “Family sessions with Dr. Reyes”',
        'Ben Okafor left',
      ]),
    );
  });

  it('queues a change made offline, shows it as pending, and sends it on reconnect', async () => {
    const { ana, ben, cara, room } = await familyGroup();
    ben.session.connection.stop();
    await conversation(ben, room).removeParticipant(cara.key);
    await conversation(ben, room).setTopic('Just the two of us');
    const pending = conversation(ben, room).pendingChanges;
    expect(pending.map((p) => [p.text, p.pending])).toEqual([['You removed Cara Okafor', true]]);
    expect(
      conversation(ben, room)
        .auditTrail()
        .some((l) => l.pending && l.kind === 'remove'),
    ).toBe(true);
    expect(conversation(ana, room).participants()).toHaveLength(3);
    ben.session.connection.start();
    await until('the removal went out', () => conversation(ben, room).pendingChanges.length === 0);
    await until(
      'Ana sees it, and the new topic',
      () =>
        conversation(ana, room).participants().length === 2 &&
        conversation(ana, room).topic === 'Just the two of us',
    );
    expect(conversation(ben, room).membershipProblems).toEqual([]);
  });

  it('says in words why a change could not be made once the log moved on', async () => {
    const { ana, ben, cara, room } = await familyGroup();
    // Ben, offline, removes Cara; meanwhile Cara leaves by herself. His removal no longer applies.
    ben.session.connection.stop();
    await conversation(ben, room).removeParticipant(cara.key);
    await conversation(cara, room).leave();
    await until('Ana sees Cara leave', () => conversation(ana, room).participants().length === 2);
    ben.session.connection.start();
    await until('Ben hears why', () => conversation(ben, room).membershipProblems.length === 1);
    expect(conversation(ben, room).membershipProblems[0].text).toBe(
      'Could not remove Cara Okafor: this person is not a member',
    );
    expect(conversation(ben, room).pendingChanges).toEqual([]);
  });

  it('seals a message written offline again under the new key when someone left meanwhile', async () => {
    const { ana, ben, cara, room } = await familyGroup();
    ana.session.connection.stop();
    await conversation(ana, room).send('Written on the train');
    await conversation(ben, room).removeParticipant(cara.key);
    await until(
      'the room moved to a key Cara does not have',
      () => conversation(ben, room).record.epoch > conversation(cara, room).record.epoch,
    );
    ana.session.connection.start();
    await until('Ben reads Ana', () =>
      conversation(ben, room)
        .messages()
        .some((m) => m.text === 'Written on the train'),
    );
    const keys = conversation(cara, room).record.keys;
    const carasKeys = (epoch: number) => (keys[epoch] ? fromBase64Url(keys[epoch]) : undefined);
    const bens = conversation(ben, room).record.keys;
    const stored = await ben.db.envelopes.where('room').equals(room).toArray();
    const train = stored.filter((row) => {
      const opened = openUpdate(row.bytes, (epoch) => (bens[epoch] ? fromBase64Url(bens[epoch]) : undefined));
      return opened.ok && new TextDecoder().decode(opened.update).includes('Written on the train');
    });
    expect(train).toHaveLength(1);
    expect(openUpdate(train[0].bytes, carasKeys)).toEqual({ ok: false, reason: 'unknown_epoch' });
  });
});
