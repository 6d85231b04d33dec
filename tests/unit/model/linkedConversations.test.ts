import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceLinkRequest } from '$lib/model/linkThisDevice';
import type { Session } from '$lib/model/session';
import { closeDb } from '$lib/store/db';
import { startRelay, type RunningRelay } from '../../helpers/relayProcess';
import { closePeople, fragmentOf, openPerson, pointAtRelay, until } from '../support/sessions';

// A person with two devices: the conversation reaches their linked device through the room list and a key bundle
// sealed to it too, with no grant or invite.

let relay: RunningRelay;
let laptop: Session | null = null;

beforeAll(async () => {
  relay = await startRelay();
  pointAtRelay(relay.port);
});

afterAll(async () => {
  laptop?.close();
  closeDb();
  await Dexie.delete('hearth');
  await closePeople();
  await relay.stop();
  relay.removeData();
});

describe('a conversation and a linked device', () => {
  it('reaches the linked device of someone added, which reads and writes but cannot change who is in it', async () => {
    const ana = await openPerson({ name: 'Dr. Ana Reyes', role: 'therapist', replyPromise: '' });
    const ben = await openPerson({ name: 'Ben Okafor', role: 'client', replyPromise: '' });
    const { link } = await ana.session.createInvite('Ben');
    await ben.session.acceptInvite(fragmentOf(link));
    await until('Ben has Ana as a contact', () => ben.session.contacts().some((c) => c.key === ana.key));

    const request = await DeviceLinkRequest.start();
    await ana.session.devices.approve(request.code, 'Laptop');
    await request.waitForApproval();
    laptop = await request.finish('a long passphrase here', 'a long passphrase here');
    const onLaptop = laptop;

    const room = await ben.session.startConversation('Check-in', [ana.key]);
    await until(
      'the laptop has the conversation and its topic',
      () => onLaptop.conversations.get(room)?.topic === 'Check-in',
    );
    await ben.session.conversations.get(room)!.send('Hello from Ben');
    await until('the laptop reads Ben', () =>
      onLaptop.conversations
        .get(room)!
        .messages()
        .some((m) => m.text === 'Hello from Ben'),
    );
    const onTheLaptop = onLaptop.conversations.get(room)!;
    await onTheLaptop.setNickname(null);
    await onTheLaptop.send('Hello from Ana’s laptop');
    await until('Ben reads the laptop, as Ana', () =>
      ben.session.conversations
        .get(room)!
        .messages()
        .some((m) => m.text === 'Hello from Ana’s laptop' && m.authorName === 'Dr. Ana Reyes'),
    );
    expect(onTheLaptop.canManage).toBe(false);
    await expect(onTheLaptop.leave()).rejects.toMatchObject({ code: 'linked_device' });
  });
});
