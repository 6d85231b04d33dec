import path from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import { decodeEnvelope } from '../../src/lib/protocol/envelope';
import { decodeFrame, encodeFrame, type Frame } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import {
  BLOB_HASH_BYTES,
  MAX_ENVELOPE_BYTES,
  PROTOCOL_VERSION,
  SIGNATURE_BYTES,
} from '../../src/lib/protocol/limits';
import { authSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import { flipEnvelope, mutate, Prng, varUint } from '../helpers/frameMutations';
import {
  claimSignature,
  makeEnvelope,
  makeSigner,
  randomInviteId,
  RelayClient,
  seqsOf,
  type TestDevice,
} from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const TARGET_FRAMES = 100_000;
/** Frames per batch; each batch ends with a barrier whose reply says the relay has handled the batch. */
const BATCH = 100;
const MAX_BUFFERED = 1024 * 1024;

let relay: RunningRelay | undefined;

afterAll(async () => {
  await relay?.stop();
  relay?.removeData();
});

interface ValidAppend {
  room: string;
  id: string;
  bytes: Uint8Array;
}

/** Everything the run observed; the assertions read it at the end. */
class Ledger {
  sent = 0;
  answered = 0;
  readonly valid = new Map<string, ValidAppend>();
  readonly acked = new Map<string, { room: string; seq: number }>();
  readonly violations: string[] = [];
  readonly codes = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  ack(frame: Extract<Frame, { type: 'ack' }>): void {
    const id = toHex(frame.id);
    const room = toHex(frame.room);
    const known = this.valid.get(id);
    if (!known || known.room !== room) this.violations.push(`ACK for an envelope never sent valid: ${id}`);
    const earlier = this.acked.get(id);
    if (earlier && earlier.seq !== frame.seq)
      this.violations.push(`${id} acked as ${earlier.seq} and ${frame.seq}`);
    this.acked.set(id, { room, seq: frame.seq });
    this.wake();
  }

  error(frame: Extract<Frame, { type: 'error' }>): void {
    this.codes.set(frame.code, (this.codes.get(frame.code) ?? 0) + 1);
    if (frame.code === 'internal') this.violations.push(`internal error: ${frame.message}`);
    const ref = toHex(frame.ref);
    if (this.valid.has(ref) && !this.acked.has(ref)) {
      this.violations.push(`valid append ${ref} refused: ${frame.code} ${frame.message}`);
      this.acked.set(ref, { room: '', seq: -1 });
    }
    this.wake();
  }

  /** Resolves once every valid append has been answered. */
  async settled(): Promise<void> {
    while ([...this.valid.keys()].some((id) => !this.acked.has(id))) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}

/** One fuzzing socket: sends batches, keeps at most two in flight, reconnects when the relay closes it. */
class FuzzSocket {
  private ws!: WebSocket;
  private challenge: Uint8Array | null = null;
  private barriers = new Map<string, () => void>();
  /** Unauthenticated sockets: every frame gets exactly one ERROR, so replies count the frames handled. */
  private replies = 0;
  private replyWaiter: (() => void) | null = null;
  private closedWaiter: (() => void) | null = null;
  closed = false;

  constructor(
    private readonly url: string,
    private readonly ledger: Ledger,
    readonly device: TestDevice | null,
  ) {}

  async open(): Promise<void> {
    this.closed = false;
    this.challenge = null;
    this.ws = new WebSocket(this.url, { maxPayload: 8 * 1024 * 1024 });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer) => this.onFrame(decodeFrame(new Uint8Array(data))));
    this.ws.on('close', () => {
      this.closed = true;
      this.replyWaiter?.();
      this.closedWaiter?.();
      for (const release of this.barriers.values()) release();
      this.barriers.clear();
    });
    this.ws.on('error', () => {
      // a refused or reset socket shows up as `closed`; the run reconnects
    });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    while (!this.challenge && !this.closed) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.device && this.challenge) {
      const auth = authFrameFor(this.challenge, this.device);
      const ready = new Promise<void>((resolve) => (this.replyWaiter = resolve));
      this.ws.send(encodeFrame(auth));
      await ready;
    }
  }

  lastChallenge(): Uint8Array | null {
    return this.challenge;
  }

  /** Send `frames` plus a barrier and resolve once the relay has handled them (or closed the socket). */
  async sendBatch(frames: Uint8Array[]): Promise<void> {
    await this.drain();
    if (this.closed) return;
    if (this.device) {
      const barrier = randomInviteId();
      const handled = new Promise<void>((resolve) => this.barriers.set(toHex(barrier), resolve));
      for (const frame of frames) this.ws.send(frame);
      this.ws.send(encodeFrame({ type: 'getInvite', inviteId: barrier }));
      this.ledger.sent += frames.length + 1;
      await handled;
      return;
    }
    const target = this.replies + frames.length;
    for (const frame of frames) this.ws.send(frame);
    this.ledger.sent += frames.length;
    while (this.replies < target && !this.closed) {
      await new Promise<void>((resolve) => (this.replyWaiter = resolve));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const gone = new Promise<void>((resolve) => (this.closedWaiter = resolve));
    this.ws.close();
    await gone;
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.ws.bufferedAmount > MAX_BUFFERED) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private onFrame(frame: Frame): void {
    if (frame.type === 'challenge') {
      this.challenge = frame.nonce;
      return;
    }
    this.ledger.answered++;
    if (frame.type === 'ack') this.ledger.ack(frame);
    if (frame.type === 'error') {
      const release = this.barriers.get(toHex(frame.ref));
      if (release && frame.code === 'invite_not_found') {
        this.barriers.delete(toHex(frame.ref));
        this.ledger.answered--;
        release();
        return;
      }
      this.ledger.error(frame);
    }
    if (frame.type === 'ready' || frame.type === 'error') {
      this.replies++;
      const waiter = this.replyWaiter;
      this.replyWaiter = null;
      waiter?.();
    }
  }
}

function authFrameFor(challenge: Uint8Array, device: TestDevice): Frame {
  const signed = withDomain(SIGN_DOMAIN.auth, authSignedBytes(challenge, device.publicKey, device.boxPublic));
  return {
    type: 'auth',
    signPublic: device.publicKey,
    boxPublic: device.boxPublic,
    signature: device.sign(signed),
  };
}

/** What one device owns for the run: its rooms, the next clock in each, and valid frames to mutate. */
interface Actor {
  device: TestDevice;
  rooms: Uint8Array[];
  clocks: number[];
  /** Envelopes this actor appended validly (acked or not yet), with their ids in hex. */
  history: Array<{ id: string; bytes: Uint8Array }>;
  /** A validly signed envelope whose clock the run never reaches: a template that can never be stored. */
  farEnvelope: Uint8Array;
}

function templates(actor: Actor, rng: Prng, challenge: Uint8Array | null): Uint8Array[] {
  const room = rng.pick(actor.rooms);
  const hash = rng.bytes(BLOB_HASH_BYTES);
  const frames: Frame[] = [
    { type: 'subscribe', room, afterSeq: 1 << 20 },
    { type: 'subscribe', room, afterSeq: Number.MAX_SAFE_INTEGER },
    { type: 'append', envelope: actor.farEnvelope },
    { type: 'createRoom', room },
    {
      type: 'putInvite',
      room,
      inviteId: rng.bytes(32),
      claimPublic: rng.bytes(32),
      expiresAt: Date.now() + 3_600_000,
      box: rng.bytes(40),
    },
    { type: 'getInvite', inviteId: rng.bytes(32) },
    { type: 'claimInvite', inviteId: rng.bytes(32), signature: rng.bytes(SIGNATURE_BYTES) },
    { type: 'blobPut', room, hash, size: 100, offset: 0, chunk: rng.bytes(100) },
    { type: 'blobStatus', room, hash },
    { type: 'blobGet', room, hash, offset: 0 },
    { type: 'putSnapshot', room, upToSeq: 1, hash },
    { type: 'subscribeLatest', room },
    { type: 'ack', room, id: rng.bytes(16), seq: 1 },
    { type: 'deliver', room, deliveries: [{ seq: 1, envelope: actor.farEnvelope }] },
  ];
  const out = frames.map((f) => encodeFrame(f));
  if (challenge) out.push(encodeFrame(authFrameFor(challenge, actor.device)));
  return out;
}

/** One fuzz frame for an authenticated socket; valid appends go only through the actor's writer socket. */
function fuzzFrame(actor: Actor, rng: Prng, ledger: Ledger, writer: boolean, challenge: Uint8Array | null) {
  const roll = rng.next();
  if (writer && roll < 0.08) {
    const i = rng.int(actor.rooms.length);
    const room = actor.rooms[i];
    const envelope = makeEnvelope({
      author: actor.device,
      room,
      clock: actor.clocks[i]++,
      ciphertext: rng.bytes(1 + rng.int(200)),
    });
    ledger.valid.set(toHex(envelope.id), {
      room: toHex(room),
      id: toHex(envelope.id),
      bytes: envelope.bytes,
    });
    actor.history.push({ id: toHex(envelope.id), bytes: envelope.bytes });
    return encodeFrame({ type: 'append', envelope: envelope.bytes });
  }
  // Only acked envelopes are replayed or flipped: a replay racing its original could arrive out of clock order.
  const past = actor.history.length > 0 ? rng.pick(actor.history) : undefined;
  const acked = past && ledger.acked.has(past.id) ? past.bytes : undefined;
  if (roll < 0.13 && acked) {
    return encodeFrame({ type: 'append', envelope: acked }); // replay: ACK with its old seq
  }
  if (roll < 0.3) {
    const base = acked && rng.next() < 0.5 ? acked : actor.farEnvelope;
    return encodeFrame({ type: 'append', envelope: flipEnvelope(base, rng) });
  }
  if (roll < 0.302) {
    // An envelope just over the limit: envelope_too_large, never stored.
    return Uint8Array.from([
      PROTOCOL_VERSION,
      5,
      ...varUint(MAX_ENVELOPE_BYTES + 1),
      ...rng.bytes(MAX_ENVELOPE_BYTES + 1),
    ]);
  }
  if (roll < 0.8) return mutate(rng.pick(templates(actor, rng, challenge)), rng);
  if (roll < 0.9)
    return Uint8Array.from([PROTOCOL_VERSION, ...varUint(rng.int(300)), ...rng.bytes(rng.int(120))]);
  if (roll < 0.95) return rng.bytes(rng.int(200));
  return rng.pick(templates(actor, rng, challenge)); // valid frames: subscribe, create, invite, ...
}

async function makeActors(url: string): Promise<{ actors: Actor[]; shared: Uint8Array }> {
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
    client.sendFrame({
      type: 'claimInvite',
      inviteId,
      signature: claimSignature(claimKey, inviteId, client.device!),
    });
    await client.expect('claimed');
  }
  const actors: Actor[] = [];
  for (const client of clients) {
    const device = client.device!;
    const own = await client.createRoom();
    actors.push({
      device,
      rooms: [own, shared],
      clocks: [1, 1],
      history: [],
      farEnvelope: makeEnvelope({ author: device, room: own, clock: 1_000_000_000 }).bytes,
    });
    client.close();
    await client.closed;
  }
  return { actors, shared };
}

describe('@relay fuzzing the relay', () => {
  it(`survives ${TARGET_FRAMES} random and mutated frames and stores exactly the valid acknowledged envelopes`, async () => {
    relay = await startRelay({
      // The bucket would (rightly) refuse most of this flood; the run is about parsing and storage, not rate.
      env: { RATE_ENVELOPES_PER_SECOND: '1000000', RATE_ENVELOPES_BURST: '1000000' },
    });
    const running = relay;
    let crashed = false;
    void running.exited.then(() => (crashed = true));
    const ledger = new Ledger();
    const { actors, shared } = await makeActors(running.wsUrl);

    // Writers: one socket per device carries its valid appends (so its clocks arrive in order); a second socket of
    // device 0 and two unauthenticated sockets carry only fuzz.
    const sockets = [
      ...actors.map((a) => ({
        socket: new FuzzSocket(running.wsUrl, ledger, a.device),
        actor: a,
        writer: true,
      })),
      { socket: new FuzzSocket(running.wsUrl, ledger, actors[0].device), actor: actors[0], writer: false },
      { socket: new FuzzSocket(running.wsUrl, ledger, null), actor: actors[1], writer: false },
      { socket: new FuzzSocket(running.wsUrl, ledger, null), actor: actors[2], writer: false },
    ];
    let unexpectedCloses = 0;
    await Promise.all(
      sockets.map(async ({ socket, actor, writer }, index) => {
        // One stream per socket, so a seed replays each socket's frames whatever the interleaving.
        const rng = new Prng(SEED + index);
        await socket.open();
        let staleChallenge: Uint8Array | null = null;
        while (ledger.sent < TARGET_FRAMES && !crashed) {
          if (socket.closed) {
            if (socket.device) unexpectedCloses++;
            staleChallenge = socket.lastChallenge();
            await socket.open();
          }
          const frames: Uint8Array[] = [];
          const challenge = socket.device ? socket.lastChallenge() : null;
          for (let i = 0; i < BATCH; i++) frames.push(fuzzFrame(actor, rng, ledger, writer, challenge));
          if (!socket.device && rng.next() < 0.3) {
            // A mutated or replayed AUTH ends the batch: auth_failed closes the socket, and the run reconnects.
            const auth = encodeFrame(
              authFrameFor(socket.lastChallenge() ?? new Uint8Array(32), actor.device),
            );
            frames.push(
              rng.next() < 0.5 || !staleChallenge
                ? mutate(auth, rng)
                : encodeFrame(authFrameFor(staleChallenge, actor.device)),
            );
          }
          await socket.sendBatch(frames);
        }
      }),
    );
    await ledger.settled();
    console.log(
      `fuzz: seed ${SEED}, ${ledger.sent} frames sent, ${ledger.answered} answered, ${ledger.valid.size} valid appends;`,
      Object.fromEntries([...ledger.codes].sort((a, b) => b[1] - a[1])),
    );
    expect(crashed).toBe(false);
    expect(ledger.sent).toBeGreaterThanOrEqual(TARGET_FRAMES);
    expect(ledger.violations).toEqual([]);
    expect(unexpectedCloses).toBe(0);
    for (const { socket } of sockets) await socket.close();

    // A well-behaved device is still served end to end.
    const normal = await RelayClient.connectAs(running.wsUrl);
    const room = await normal.createRoom();
    expect((await normal.append(makeEnvelope({ author: normal.device!, room, clock: 1 }).bytes)).seq).toBe(1);
    expect(seqsOf((await normal.subscribe(room)).delivers)).toEqual([1]);
    normal.close();

    // Catch-up of every room the run wrote to returns exactly the acked envelopes, seqs 1..N.
    const expected = expectedRooms(ledger);
    for (const [i, actor] of actors.entries()) {
      const reader = await RelayClient.connectAs(running.wsUrl, actor.device);
      for (const r of i === 0 ? actor.rooms : [actor.rooms[0]]) {
        const { delivers } = await reader.subscribe(r);
        const got = delivers.flatMap((d) =>
          d.deliveries.map((x) => `${x.seq}:${toHex(decodeEnvelope(x.envelope).envelope.id)}`),
        );
        expect(got).toEqual(expected.get(toHex(r)) ?? []);
      }
      reader.close();
    }
    expect(expected.has(toHex(shared))).toBe(true);

    // And the database holds exactly those, in every room (SQLite: the relay's storage unless DATABASE_URL is set).
    expect(await running.stop()).toBe(0);
    if (process.env.DATABASE_URL) return;
    const db = new Database(path.join(running.dataDir, 'hearth.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT room, seq, id FROM envelopes ORDER BY room, seq').all() as Array<{
      room: Buffer;
      seq: number;
      id: Buffer;
    }>;
    db.close();
    const stored = new Map<string, string[]>();
    for (const row of rows) {
      const key = row.room.toString('hex');
      stored.set(key, [...(stored.get(key) ?? []), `${row.seq}:${row.id.toString('hex')}`]);
    }
    expected.set(toHex(room), stored.get(toHex(room)) ?? []);
    expect(stored).toEqual(expected);
  }, 180_000);
});

/** Acked envelopes per room as `seq:id`, in seq order; also checks the seqs are 1..N with no gap. */
function expectedRooms(ledger: Ledger): Map<string, string[]> {
  const rooms = new Map<string, Array<{ seq: number; id: string }>>();
  for (const [id, { room, seq }] of ledger.acked) rooms.set(room, [...(rooms.get(room) ?? []), { seq, id }]);
  const out = new Map<string, string[]>();
  for (const [room, entries] of rooms) {
    entries.sort((a, b) => a.seq - b.seq);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    out.set(
      room,
      entries.map((e) => `${e.seq}:${e.id}`),
    );
  }
  return out;
}
