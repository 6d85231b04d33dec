import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import { decodeEnvelope } from '../../src/lib/protocol/envelope';
import { decodeFrame, encodeFrame, type Frame } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import { authSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import {
  claimSignature,
  makeEnvelope,
  makeSigner,
  randomBytesOf,
  randomInviteId,
  RelayClient,
  type TestDevice,
} from '../helpers/relayClient';
import { makeDataDir, startRelay, type RunningRelay } from '../helpers/relayProcess';

const PER_CLIENT = 300;
/** Appends each client keeps unacknowledged at once: the kill lands with some in flight. */
const WINDOW = 16;
/** SIGKILL once this many acks have arrived across all clients: mid-burst. */
const KILL_AFTER_ACKS = (3 * PER_CLIENT) / 2;

const relays: RunningRelay[] = [];
const dataDir = makeDataDir();

afterAll(async () => {
  for (const relay of relays) await relay.stop();
  relays[0]?.removeData();
});

async function start(): Promise<RunningRelay> {
  // The bucket would refuse part of a resend after the crash; this test is about durability, not rate.
  const relay = await startRelay({ dataDir, env: { RATE_ENVELOPES_BURST: '100000' } });
  relays.push(relay);
  return relay;
}

interface Planned {
  room: string;
  id: string;
  clock: number;
  bytes: Uint8Array;
}

/**
 * A device that writes a planned burst over its own WebSocket, keeps what it has seen of each room (seq → id, from
 * ACKs and DELIVERs), and after a crash resumes as a client should: resubscribe after its last contiguous seq and
 * resend every unacked envelope, same bytes.
 */
class Writer {
  readonly acked = new Map<string, number>();
  readonly seen = new Map<string, Map<number, string>>();
  /** ERROR frames the relay sent: a resumed client following the protocol should get none. */
  readonly errors: string[] = [];
  private ws!: WebSocket;
  private challenge: Uint8Array | null = null;
  private wake: (() => void) | null = null;
  private caughtUp = new Set<string>();
  private closed = false;

  constructor(
    readonly device: TestDevice,
    readonly rooms: Uint8Array[],
    readonly plan: Planned[],
    private readonly onAck: () => void,
  ) {
    for (const room of rooms) this.seen.set(toHex(room), new Map());
  }

  /** Connect, authenticate, and subscribe to each room after the last seq seen without a gap. */
  async connect(url: string): Promise<void> {
    this.closed = false;
    this.challenge = null;
    this.caughtUp.clear();
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer) => this.onFrame(decodeFrame(new Uint8Array(data))));
    this.ws.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    this.ws.on('error', () => {
      // the kill resets the socket: seen as `closed`
    });
    await this.until(() => this.challenge !== null);
    const signed = withDomain(
      SIGN_DOMAIN.auth,
      authSignedBytes(this.challenge!, this.device.publicKey, this.device.boxPublic),
    );
    this.send({
      type: 'auth',
      signPublic: this.device.publicKey,
      boxPublic: this.device.boxPublic,
      signature: this.device.sign(signed),
    });
    for (const room of this.rooms) {
      this.send({ type: 'subscribe', room, afterSeq: this.lastContiguous(toHex(room)) });
    }
    await this.until(() => this.caughtUp.size === this.rooms.length);
  }

  /** Send every planned envelope not yet acked, in plan order, at most WINDOW unacked; stop if the socket dies. */
  async burst(): Promise<void> {
    const todo = this.plan.filter((p) => !this.acked.has(p.id));
    let next = 0;
    while (!this.closed && todo.some((p) => !this.acked.has(p.id))) {
      const inFlight = todo.slice(0, next).filter((p) => !this.acked.has(p.id)).length;
      if (next < todo.length && inFlight < WINDOW) {
        this.send({ type: 'append', envelope: todo[next++].bytes });
        continue;
      }
      await this.nextEvent();
    }
  }

  /** Resolves when the socket closes (the relay was killed). */
  async gone(): Promise<void> {
    await this.until(() => this.closed);
  }

  close(): void {
    this.ws.close();
  }

  /** Planned envelopes the relay has stored (seen in catch-up) that were never acked to this writer. */
  storedUnacked(): number {
    const seenIds = new Set([...this.seen.values()].flatMap((m) => [...m.values()]));
    return this.plan.filter((p) => seenIds.has(p.id) && !this.acked.has(p.id)).length;
  }

  lastContiguous(room: string): number {
    const seen = this.seen.get(room)!;
    let seq = 0;
    while (seen.has(seq + 1)) seq++;
    return seq;
  }

  private send(frame: Frame): void {
    if (!this.closed) this.ws.send(encodeFrame(frame));
  }

  private onFrame(frame: Frame): void {
    if (frame.type === 'challenge') this.challenge = frame.nonce;
    if (frame.type === 'ack') {
      this.acked.set(toHex(frame.id), frame.seq);
      this.seen.get(toHex(frame.room))?.set(frame.seq, toHex(frame.id));
      this.onAck();
    }
    if (frame.type === 'deliver') {
      for (const d of frame.deliveries) {
        this.seen.get(toHex(frame.room))?.set(d.seq, toHex(decodeEnvelope(d.envelope).envelope.id));
      }
    }
    if (frame.type === 'caughtUp') this.caughtUp.add(toHex(frame.room));
    if (frame.type === 'error') this.errors.push(`${frame.code}: ${frame.message}`);
    this.wake?.();
  }

  /** Wait, frame by frame, until `done` holds; fails if the socket closes first. */
  private async until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.closed) throw new Error('socket closed');
      await this.nextEvent();
    }
  }

  private async nextEvent(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => (this.wake = resolve));
  }
}

/** PER_CLIENT envelopes alternating between the device's own room and the shared one, clocks counting per room. */
function planFor(device: TestDevice, rooms: Uint8Array[]): Planned[] {
  const clocks = rooms.map(() => 0);
  return Array.from({ length: PER_CLIENT }, (_, i) => {
    const r = i % rooms.length;
    const clock = ++clocks[r];
    const envelope = makeEnvelope({ author: device, room: rooms[r], clock, ciphertext: randomBytesOf(80) });
    return { room: toHex(rooms[r]), id: toHex(envelope.id), clock, bytes: envelope.bytes };
  });
}

/** Three devices, each with its own room, all three in a shared room. */
async function setUpRooms(url: string): Promise<Array<{ device: TestDevice; rooms: Uint8Array[] }>> {
  const clients = await Promise.all([0, 1, 2].map(() => RelayClient.connectAs(url)));
  const shared = await clients[0].createRoom();
  for (const client of clients.slice(1)) {
    const claimKey = makeSigner();
    const inviteId = randomInviteId();
    clients[0].sendFrame({
      type: 'putInvite',
      room: shared,
      inviteId,
      claimPublic: claimKey.publicKey,
      expiresAt: Date.now() + 3_600_000,
      box: new Uint8Array(32),
    });
    await clients[0].expect('inviteStored');
    const signature = claimSignature(claimKey, inviteId, client.device!);
    client.sendFrame({ type: 'claimInvite', inviteId, signature });
    await client.expect('claimed');
  }
  const out = [];
  for (const client of clients) {
    out.push({ device: client.device!, rooms: [await client.createRoom(), shared] });
    client.close();
  }
  return out;
}

describe('@relay crash safety', () => {
  it('after SIGKILL mid-burst and a restart, acked envelopes keep their seqs and resent ones are stored exactly once', async () => {
    const first = await start();
    let acks = 0;
    const writers = (await setUpRooms(first.wsUrl)).map(
      ({ device, rooms }) =>
        new Writer(device, rooms, planFor(device, rooms), () => {
          if (++acks === KILL_AFTER_ACKS) first.kill('SIGKILL');
        }),
    );
    for (const writer of writers) await writer.connect(first.wsUrl);
    await Promise.all(writers.map((w) => w.burst().catch(() => w.gone())));
    await Promise.all(writers.map((w) => w.gone()));
    expect(await first.exited).toBeNull();
    const ackedBeforeCrash = writers.map((w) => new Map(w.acked));
    const unacked = writers.reduce((n, w) => n + PER_CLIENT - w.acked.size, 0);
    console.log(`crash: killed after ${acks} acks; ${unacked} of ${3 * PER_CLIENT} envelopes unacked`);

    const second = await start();
    for (const writer of writers) await writer.connect(second.wsUrl);
    const committedUnacked = writers.reduce((n, w) => n + w.storedUnacked(), 0);
    console.log(`crash: ${committedUnacked} were committed but not acked before the kill`);
    await Promise.all(writers.map((w) => w.burst()));

    // What a fresh reader of each room now gets from the relay.
    const rooms = new Map<string, { seqs: number[]; ids: string[]; envelopes: Uint8Array[] }>();
    for (const writer of writers) {
      const reader = await RelayClient.connectAs(second.wsUrl, writer.device);
      for (const room of writer.rooms) {
        const { delivers } = await reader.subscribe(room);
        const deliveries = delivers.flatMap((d) => d.deliveries);
        rooms.set(toHex(room), {
          seqs: deliveries.map((d) => d.seq),
          ids: deliveries.map((d) => toHex(decodeEnvelope(d.envelope).envelope.id)),
          envelopes: deliveries.map((d) => d.envelope),
        });
      }
      reader.close();
      writer.close();
    }

    const planned = writers.flatMap((w) => w.plan);
    for (const [room, stored] of rooms) {
      const expected = planned.filter((p) => p.room === room);
      // Seqs 1..N with no gap, each planned envelope exactly once, byte for byte.
      expect(stored.seqs).toEqual(expected.map((_, i) => i + 1));
      expect(new Set(stored.ids).size).toBe(stored.ids.length);
      expect([...stored.ids].sort()).toEqual(expected.map((p) => p.id).sort());
      const byId = new Map(expected.map((p) => [p.id, p.bytes]));
      stored.ids.forEach((id, i) => expect(toHex(stored.envelopes[i])).toBe(toHex(byId.get(id)!)));
      // Each author's clocks in the room run 1, 2, 3... in seq order.
      const clocks = new Map<string, number[]>();
      for (const bytes of stored.envelopes) {
        const { author, clock } = decodeEnvelope(bytes).envelope;
        clocks.set(toHex(author), [...(clocks.get(toHex(author)) ?? []), clock]);
      }
      for (const list of clocks.values()) expect(list).toEqual(list.map((_, i) => i + 1));
    }

    for (const [i, writer] of writers.entries()) {
      for (const room of writer.rooms) {
        const stored = rooms.get(toHex(room))!;
        const seqOf = new Map(stored.ids.map((id, k) => [id, stored.seqs[k]]));
        // Every ack, before the crash and after, names the seq the envelope has.
        for (const [id, seq] of ackedBeforeCrash[i]) if (seqOf.has(id)) expect(seqOf.get(id)).toBe(seq);
        for (const [id, seq] of writer.acked) if (seqOf.has(id)) expect(seqOf.get(id)).toBe(seq);
        // The writer's own view, resumed after the crash, is the room as stored.
        const view = writer.seen.get(toHex(room))!;
        expect(stored.seqs.map((seq) => view.get(seq))).toEqual(stored.ids);
      }
      expect(writer.acked.size).toBe(PER_CLIENT);
      expect(writer.errors).toEqual([]);
    }
  }, 60_000);
});
