import * as Y from 'yjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '$lib/crypto';
import { isStuck, REPAIR_MAP, repairRequest, repairResponse } from '$lib/sync/repair';

const WRITER = 'aa'.repeat(32);
const READER = 'bb'.repeat(32);
const THIRD = 'cc'.repeat(32);

function writer(texts: string[]): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (const text of texts) doc.getArray('messages').push([text]);
  return { doc, updates };
}

describe('repairing a document stuck behind a refused update', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('a reader missing one update is stuck, and the writer’s answer fills exactly the gap', () => {
    const { doc: author, updates } = writer(['one', 'two', 'three', 'four']);
    const reader = new Y.Doc();
    Y.applyUpdate(reader, updates[0]);
    Y.applyUpdate(reader, updates[2]); // 'two' was refused on the way
    Y.applyUpdate(reader, updates[3]);
    expect(isStuck(reader)).toBe(true);
    expect(reader.getArray('messages').toArray()).toEqual(['one']);

    const answer = repairResponse(author, repairRequest(reader), WRITER);
    expect(answer).not.toBeNull();
    Y.applyUpdate(reader, answer as Uint8Array);
    expect(isStuck(reader)).toBe(false);
    expect(reader.getArray('messages').toArray()).toEqual(['one', 'two', 'three', 'four']);
  });

  it('a device with nothing the requester lacks does not answer', () => {
    const { doc: author, updates } = writer(['one', 'two']);
    const reader = new Y.Doc();
    for (const update of updates) Y.applyUpdate(reader, update);
    expect(isStuck(reader)).toBe(false);
    expect(repairResponse(author, repairRequest(reader), WRITER)).toBeNull();
  });

  it('ignores requests that are not state vectors', () => {
    const { doc } = writer(['one']);
    expect(repairResponse(doc, 42, WRITER)).toBeNull();
    expect(repairResponse(doc, '%%% not base64url', WRITER)).toBeNull();
  });

  it('holds only the answerer’s own missing changes, whoever else wrote after the request', () => {
    // The writer's messages and, on the reader's side, everything it wrote; the third member's message never reached
    // the reader either.
    const writerDoc = new Y.Doc();
    const writes: Uint8Array[] = [];
    writerDoc.on('update', (update: Uint8Array) => writes.push(update));
    for (const text of ['one', 'two', 'three']) writerDoc.getArray('messages').push([{ by: WRITER, text }]);
    const reader = new Y.Doc();
    Y.applyUpdate(reader, writes[0]);
    Y.applyUpdate(reader, writes[2]); // 'two' was refused on the way
    expect(isStuck(reader)).toBe(true);

    // The reader asks, then goes on writing in its own name: a receipt after the request, like any device does.
    const readerWrites: Uint8Array[] = [];
    reader.on('update', (update: Uint8Array) => readerWrites.push(update));
    reader.getMap(REPAIR_MAP).set(READER, repairRequest(reader));
    reader.getMap('receipts').set(READER, { [WRITER]: { delivered: 1, read: 1 } });
    const third = new Y.Doc();
    third.getArray('messages').push([{ by: THIRD, text: 'from the third member' }]);
    for (const update of readerWrites) Y.applyUpdate(writerDoc, update);
    Y.applyUpdate(writerDoc, Y.encodeStateAsUpdate(third));

    const request = writerDoc.getMap(REPAIR_MAP).get(READER);
    const answer = repairResponse(writerDoc, request, WRITER);
    expect(answer).not.toBeNull();
    // Neither the reader's own writes nor the third member's message: those are for their devices to send.
    const clients = new Set(Y.decodeUpdate(answer as Uint8Array).structs.map((s) => s.id.client));
    expect([...clients]).toEqual([writerDoc.clientID]);

    Y.applyUpdate(reader, answer as Uint8Array);
    expect(isStuck(reader)).toBe(false);
    expect(reader.getArray('messages').toArray()).toEqual([
      { by: WRITER, text: 'one' },
      { by: WRITER, text: 'two' },
      { by: WRITER, text: 'three' },
    ]);
  });
});
