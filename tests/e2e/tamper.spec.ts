import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { E2E_DATA_DIR } from '../../playwright.config';
import {
  expectState,
  message,
  pairedDevices,
  send,
  shownTexts,
  THERAPIST_PASSPHRASE,
  unlock,
} from './support';

/**
 * The relay is not trusted with integrity either: here its database is altered behind its back, the way a
 * compromised server could, and the receiving device must notice each alteration and keep going.
 */
function relayDb() {
  return new Database(join(E2E_DATA_DIR, 'hearth.sqlite'));
}

function roomFromUrl(url: string): Buffer {
  const hex = /\/c\/([0-9a-f]{32})$/.exec(url)?.[1];
  if (!hex) throw new Error(`not a conversation URL: ${url}`);
  return Buffer.from(hex, 'hex');
}

function headSeq(room: Buffer): number {
  const db = relayDb();
  try {
    return (db.prepare('SELECT MAX(seq) AS seq FROM envelopes WHERE room = ?').get(room) as { seq: number })
      .seq;
  } finally {
    db.close();
  }
}

test('@identity altered and replayed envelopes in the relay database are refused, said so, and the rest still syncs', async ({
  browser,
}) => {
  const { therapist, client } = await pairedDevices(browser, {
    therapist: 'Dr. Ada Moss',
    client: 'Kit Barros',
  });
  const room = roomFromUrl(client.page.url());

  await send(client.page, 'before anything happened');
  await expect(message(therapist.page, 'before anything happened')).toBeVisible();

  // The therapist's device is closed while the client writes three more messages.
  await therapist.page.goto('about:blank');
  const seqOf: Record<string, number> = {};
  for (const text of [
    'body altered on the server',
    'header altered on the server',
    'this one arrives intact',
  ]) {
    await send(client.page, text);
    await expectState(client.page, text, 'sent');
    seqOf[text] = headSeq(room);
  }

  const db = relayDb();
  try {
    const bytesAt = (seq: number) =>
      (
        db.prepare('SELECT bytes FROM envelopes WHERE room = ? AND seq = ?').get(room, seq) as {
          bytes: Buffer;
        }
      ).bytes;
    const put = db.prepare('UPDATE envelopes SET bytes = ? WHERE room = ? AND seq = ?');

    const bodySeq = seqOf['body altered on the server'];
    const body = Buffer.from(bytesAt(bodySeq));
    body[body.length - 64 - 8] ^= 0x01; // a ciphertext byte, just before the 64-byte signature
    put.run(body, room, bodySeq);

    const header = Buffer.from(bytesAt(seqOf['header altered on the server']));
    header[2 + 16] ^= 0x01; // the first byte of the envelope id, inside the signed header
    put.run(header, room, seqOf['header altered on the server']);

    // Replay: the old message's exact bytes, delivered again as if new, at the next seq. The relay's own index
    // columns get values no real envelope uses (clock 0), so only the bytes the devices see are old. The old
    // message is the client's last envelope before the three: the head when the therapist saw it may already be the
    // therapist's own receipt for it.
    const old = db
      .prepare(
        `SELECT author, bytes FROM envelopes WHERE room = ? AND seq < ?
           AND author = (SELECT author FROM envelopes WHERE room = ? AND seq = ?)
         ORDER BY seq DESC LIMIT 1`,
      )
      .get(room, bodySeq, room, bodySeq) as { author: Buffer; bytes: Buffer };
    db.transaction(() => {
      const next = (
        db
          .prepare('UPDATE rooms SET head_seq = head_seq + 1 WHERE room = ? RETURNING head_seq')
          .get(room) as {
          head_seq: number;
        }
      ).head_seq;
      db.prepare(
        'INSERT INTO envelopes (room, seq, id, author, clock, bytes, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(room, next, Buffer.alloc(16, 0xee), old.author, 0, old.bytes, Date.now());
    })();
  } finally {
    db.close();
  }

  await therapist.page.goto('/');
  await unlock(therapist.page, THERAPIST_PASSPHRASE);
  await therapist.page.getByTestId('conversation-list').getByRole('link').first().click();
  await expect(therapist.page.getByTestId('rejected-notice')).toContainText(
    '3 incoming updates could not be verified and were discarded',
  );
  // The altered bytes are never shown; the client's device sends its own content again, signed afresh, so the
  // messages behind the altered envelopes arrive after all, once each and in place.
  await expect(message(therapist.page, 'this one arrives intact')).toBeVisible();
  await expect
    .poll(() => shownTexts(therapist.page))
    .toEqual([
      'before anything happened',
      'body altered on the server',
      'header altered on the server',
      'this one arrives intact',
    ]);

  // Sync goes on: a new message each way still arrives, once.
  await send(client.page, 'still talking after the tampering');
  await expect(message(therapist.page, 'still talking after the tampering')).toBeVisible();
  await send(therapist.page, 'yes, I can read you');
  await expect(message(client.page, 'yes, I can read you')).toBeVisible();
  expect(await shownTexts(therapist.page)).toEqual([
    'before anything happened',
    'body altered on the server',
    'header altered on the server',
    'this one arrives intact',
    'still talking after the tampering',
    'yes, I can read you',
  ]);

  await therapist.context.close();
  await client.context.close();
});
