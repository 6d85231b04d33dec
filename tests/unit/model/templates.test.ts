import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey } from '$lib/crypto';
import { TemplateError, Templates } from '$lib/model/templates';
import { MAX_MESSAGE_CHARS, MAX_TEMPLATE_TITLE_CHARS, MAX_TEMPLATES } from '$lib/protocol/limits';
import type { HearthDb, RecordRow } from '$lib/store/db';
import { RecordStore } from '$lib/sync/records';
import { containsBytes, rowBytes } from '../support/containsBytes';
import { readRawRows } from '../support/rawIndexedDb';
import { freshDb } from '../support/testDb';

const TEXT = 'Thank you for your message. I read messages on weekdays and will reply by tomorrow evening.';

describe('reply templates', () => {
  let db: HearthDb;

  beforeAll(async () => {
    await cryptoReady();
  });

  afterEach(async () => {
    await db?.delete();
  });

  it('are saved sealed, listed in order, removed, and read back after a restart', async () => {
    db = freshDb();
    const key = newSymmetricKey();
    const templates = new Templates(new RecordStore(db, key), () => {});
    await templates.load();
    const first = await templates.save('  Out of hours  ', TEXT);
    const second = await templates.save('Booking', 'You can book a session through the practice.');
    expect(templates.list().map((t) => [t.title, t.text])).toEqual([
      ['Out of hours', TEXT],
      ['Booking', 'You can book a session through the practice.'],
    ]);

    const rows = (await readRawRows(db.name, 'records')) as RecordRow[];
    expect(rows.map((r) => [r.id, r.kind])).toEqual([['templates', 'templates']]);
    for (const needle of ['Out of hours', 'weekdays', 'Booking']) {
      expect(containsBytes(rowBytes(rows[0]), new TextEncoder().encode(needle))).toBe(false);
    }

    await templates.remove(first.id);
    const again = new Templates(new RecordStore(db, key), () => {});
    await again.load();
    expect(again.list()).toEqual([second]);
  });

  it('refuses a template without text or title, too long, or one too many, and changes nothing', async () => {
    db = freshDb();
    const key = newSymmetricKey();
    const templates = new Templates(new RecordStore(db, key), () => {});
    await templates.load();
    const refused = async (title: string, text: string) => {
      const error = await templates.save(title, text).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TemplateError);
      return (error as TemplateError).code;
    };
    expect(await refused('Empty', '   ')).toBe('empty');
    expect(await refused(' ', TEXT)).toBe('invalid_title');
    expect(await refused('x'.repeat(MAX_TEMPLATE_TITLE_CHARS + 1), TEXT)).toBe('invalid_title');
    expect(await refused('Long', 'x'.repeat(MAX_MESSAGE_CHARS + 1))).toBe('too_long');
    expect(templates.list()).toEqual([]);
    expect(await readRawRows(db.name, 'records')).toEqual([]);

    await Promise.all(Array.from({ length: MAX_TEMPLATES }, (_, i) => templates.save(`T${i}`, TEXT)));
    expect(await refused('One more', TEXT)).toBe('too_many');
    expect(templates.list()).toHaveLength(MAX_TEMPLATES);
    // Saved side by side, none overwrote another.
    const again = new Templates(new RecordStore(db, key), () => {});
    await again.load();
    expect(again.list()).toHaveLength(MAX_TEMPLATES);
  });
});
