import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { generateDeviceKeys } from '$lib/crypto';
import { MessagingSessionError, minutesLeft } from '$lib/model/messagingSessions';
import { MessagingSessionEntry } from '$lib/model/schemas';
import { RecentTimeline, recentTimeline } from '$lib/model/summaries';
import { toHex } from '$lib/protocol/hex';
import { clientConversation, sessionEntry } from '../support/clientConversation';
import { fromElsewhere } from '../support/offlineConversation';

const MINUTE = 60_000;
const CLIENT = 'Sam Okafor';

describe('messaging sessions', () => {
  const chat = clientConversation(CLIENT);

  it('runs for the chosen length, with a line where it started, and refuses a second while it runs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2030-03-04T10:00:00Z').getTime();
    vi.setSystemTime(start);
    const conversation = await chat.open();
    await conversation.startMessagingSession(30);

    const running = conversation.runningMessagingSession();
    expect(running).toMatchObject({ byName: 'You', minutes: 30, at: start, endsAt: start + 30 * MINUTE });
    expect(minutesLeft(running!, start + 7 * MINUTE + 10_000)).toBe(23);
    expect(conversation.auditTrail().filter((l) => l.kind.startsWith('session'))).toEqual([
      expect.objectContaining({
        kind: 'session-start',
        at: start,
        text: 'You started a 30-minute messaging session',
      }),
    ]);

    vi.setSystemTime(start + 29 * MINUTE);
    const error = await conversation.startMessagingSession(15).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessagingSessionError);
    expect((error as MessagingSessionError).code).toBe('already_running');
    expect((error as Error).message).toMatch(/already in progress/);
    expect(conversation.doc.getArray('sessions').length).toBe(1);
  });

  it('records its end at its end time, from the start alone, so it shows even if nobody was online then', async () => {
    const conversation = await chat.open();
    const at = Date.now() - 2 * 60 * MINUTE;
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([sessionEntry(chat.client, at, 45)]));

    expect(conversation.runningMessagingSession()).toBeNull();
    const lines = conversation.auditTrail().filter((l) => l.kind.startsWith('session'));
    expect(lines.map((l) => [l.kind, l.at, l.text])).toEqual([
      ['session-start', at, `${CLIENT} started a 45-minute messaging session`],
      ['session-end', at + 45 * MINUTE, 'Messaging session ended (45 minutes)'],
    ]);
    // The lines the device keeps to show at the next unlock parse with these kinds.
    const kept = RecentTimeline.parse(recentTimeline(conversation)).items;
    expect(kept.map((item) => item.type === 'audit' && item.audit.kind)).toEqual(
      expect.arrayContaining(['session-start', 'session-end']),
    );

    // Once it has ended, another can start.
    await conversation.startMessagingSession(15);
    expect(conversation.runningMessagingSession()?.minutes).toBe(15);
  });

  it('counts only well-formed sessions started by someone in the conversation, never two at once', async () => {
    const conversation = await chat.open();
    const stranger = toHex(generateDeviceKeys().signPublic);
    const now = Date.now();
    const first = sessionEntry(chat.client, now - 5 * MINUTE, 30);
    fromElsewhere(conversation, (doc) =>
      doc.getArray('sessions').push([
        sessionEntry(stranger, now - 20 * MINUTE, 60),
        { ...sessionEntry(chat.client, now - 10 * MINUTE, 30), minutes: 20 },
        { ...sessionEntry(chat.client, now - 10 * MINUTE, 30), by: 'not a key' },
        // Two started while apart: the first in the document counts on every device, the other never does.
        first,
        sessionEntry(chat.client, now - 6 * MINUTE, 60),
        sessionEntry(chat.client, now - 4 * MINUTE, 60),
      ]),
    );
    expect(MessagingSessionEntry.safeParse({ ...first, minutes: 20 }).success).toBe(false);
    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([first.id]);
    expect(conversation.runningMessagingSession()?.id).toBe(first.id);
  });

  it('refuses a length that is not offered, and changes nothing', async () => {
    const conversation = await chat.open();
    for (const minutes of [0, 20, 61, 30.5]) {
      const error = await conversation.startMessagingSession(minutes).catch((e: unknown) => e);
      expect((error as MessagingSessionError).code).toBe('invalid_length');
    }
    expect(conversation.doc.getArray('sessions').length).toBe(0);
  });
});
