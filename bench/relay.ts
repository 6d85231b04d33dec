/**
 * Relay benchmarks: Hearth's relay (`relay.*`) against the reference, @y/websocket-server (`reference.*`), each its
 * own child process on loopback, doing the same work in the same run; `ratio.*` is Hearth divided by the reference.
 * Hearth acks only after a durable commit; the reference keeps everything in memory and persists nothing.
 *
 *  1. fan-out: 1 sender + 9 receivers in one room, 300-byte payloads, delivered messages per second;
 *  2. many rooms: 200 rooms of 1 sender + 1 receiver, delivered messages per second;
 *  3. latency: send-to-receive p50 and p99 at a paced 200 messages/s in the fan-out room;
 *  4. memory per idle connection (authenticated and subscribed, rooms of two), at once and after 40 s idle;
 *  5. catch-up of 10,000 envelopes by a new device: time, and bytes on the wire per payload byte;
 *  6. memory holding 20 rooms × 10,000 envelopes once every client has gone.
 *
 * Beside each throughput, the CPU time per delivered message of the relay process (every thread) and of the bench's
 * clients, and the cost of the one Ed25519 check the relay makes per append: on a machine of two cores these share
 * the CPUs, so the throughput ratio is bounded by how their sums compare. Beside the latencies, the disk's fdatasync
 * time, which every durable commit waits for.
 *
 * Goals (DESIGN.md, "What makes a blind relay fast"; printed for reading, never asserted): fan-out ≥ 4x the
 * reference's deliveries/s, many small rooms ≥ 2x, catch-up bytes near 1.07x the payload, memory for idle
 * connections and for rooms no one is reading at or below the reference's, latency at 200/s within a few ms of it.
 *
 * With BENCH_DATABASE_URL / BENCH_REDIS_URL, Hearth's relay runs on PostgreSQL / Redis and every name gets `pg.`.
 * With BENCH_CPU_PROF_DIR, Hearth's relay processes write V8 CPU profiles there.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyEd25519 } from '../sync-server/verifySignature';
import { makeSigner, randomBytesOf } from '../tests/helpers/relayClient';
import { percentile, ratio, report } from './support';
import { startHearth, startReference, type BenchProcess } from './relay/benchProcess';
import { HearthSide } from './relay/hearthSide';
import { ReferenceSide } from './relay/referenceSide';
import { runPaced, runThroughput, type BenchRoom, type RelaySide } from './relay/workloads';

const PAYLOAD_BYTES = 300;
const FANOUT = { receivers: 9, messages: 5000, window: 100 };
const MANY_ROOMS = { rooms: 200, messages: 50, window: 10 };
const PACED = { messages: 2000, perSecond: 200 };
const IDLE_CONNECTIONS = 5000;
const HELD = { rooms: 20, messages: 10_000, window: 100 };
const WARM_UP_MESSAGES = 500;
const THROUGHPUT_ROUNDS = 2;
const TIMEOUT_MS = 90_000;

const PREFIX = process.env.BENCH_DATABASE_URL || process.env.BENCH_REDIS_URL ? 'pg.' : '';
const MB = 1024 * 1024;

interface Contender {
  name: 'relay' | 'reference';
  process: BenchProcess;
  side: RelaySide;
}

type Measured = Partial<Record<Contender['name'], number>>;

function line(name: string, value: number, unit: string): void {
  report(`${PREFIX}${name}`, value, unit);
}

/** Print both figures of a metric and, when both exist, their ratio (Hearth / reference). */
function compare(metric: string, unit: string, values: Measured): void {
  for (const name of ['relay', 'reference'] as const) {
    const value = values[name];
    if (value !== undefined) line(`${name}.${metric}`, value, unit);
  }
  if (values.relay !== undefined && values.reference)
    ratio(`${PREFIX}${metric}`, values.relay, values.reference);
}

/** Run one side of one benchmark; a failure is printed as a comment and leaves that figure out. */
async function attempt<T>(
  what: string,
  contender: Contender,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const started = performance.now();
  try {
    return await work();
  } catch (error) {
    console.log(
      `# ${what} (${contender.name}) failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  } finally {
    // BENCH_VERBOSE: how long each step took (setup included), to keep the whole run within its budget.
    if (process.env.BENCH_VERBOSE) {
      console.error(`# ${what} (${contender.name}): ${Math.round(performance.now() - started)} ms`);
    }
  }
}

async function startPair(): Promise<Contender[]> {
  const hearth = await startHearth();
  const reference = await startReference();
  return [
    { name: 'relay', process: hearth, side: new HearthSide(hearth.wsUrl) },
    { name: 'reference', process: reference, side: new ReferenceSide(reference.wsUrl) },
  ];
}

async function stopPair(pair: Contender[]): Promise<void> {
  await Promise.all(pair.map((c) => c.process.stop()));
}

/**
 * A throughput run: delivered messages per second, and the CPU time spent per delivered message by the relay
 * process (all its threads, signature workers included) and by the bench's own clients. On a machine of few cores
 * the two share the CPUs: these say where the time went.
 */
interface ThroughputRun {
  perSecond: number;
  relayCpuUs: number;
  clientCpuUs: number;
}

async function timedRun(
  c: Contender,
  rooms: BenchRoom[],
  work: { messages: number; window: number },
  delivered: number,
): Promise<ThroughputRun> {
  const relayBefore = c.process.cpuMs();
  const clientBefore = process.cpuUsage();
  const seconds = await runThroughput(rooms, work.messages, work.window, TIMEOUT_MS);
  const client = process.cpuUsage(clientBefore);
  return {
    perSecond: delivered / seconds,
    relayCpuUs: ((c.process.cpuMs() - relayBefore) * 1000) / delivered,
    clientCpuUs: (client.user + client.system) / delivered,
  };
}

/** The run of the higher throughput, either possibly missing. */
function better(a: ThroughputRun | undefined, b: ThroughputRun | undefined): ThroughputRun | undefined {
  return a === undefined ? b : b === undefined ? a : b.perSecond > a.perSecond ? b : a;
}

function pick(
  runs: Partial<Record<Contender['name'], ThroughputRun>>,
  value: (run: ThroughputRun) => number,
): Measured {
  const out: Measured = {};
  for (const name of ['relay', 'reference'] as const) {
    const run = runs[name];
    if (run) out[name] = value(run);
  }
  return out;
}

const VERIFY_SAMPLES = 5000;

/**
 * One Ed25519 check as the relay makes it for every append (sodium-native, verifySignature.ts), timed here: a floor
 * under the relay's CPU per appended envelope that the reference, which checks nothing, does not have.
 */
function signatureCheckCost(): void {
  const signer = makeSigner();
  const message = randomBytesOf(PAYLOAD_BYTES + 100);
  const signature = signer.sign(message);
  const start = performance.now();
  for (let i = 0; i < VERIFY_SAMPLES; i++) {
    if (!verifyEd25519(signer.publicKey, message, signature)) throw new Error('signature did not verify');
  }
  line('relay.ed25519_check', ((performance.now() - start) * 1000) / VERIFY_SAMPLES, 'µs');
}

const SYNC_SAMPLES = 200;

/**
 * What one durable commit waits for on this disk: fdatasync after a 4 KiB append, in the temp directory the relay's
 * data lives in. Every ack (and so every delivery) waits for one; the reference, which persists nothing, never does.
 */
function diskSyncCost(): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'hearth-bench-sync-'));
  const fd = openSync(path.join(dir, 'probe'), 'w');
  const page = Buffer.alloc(4096, 1);
  const waits: number[] = [];
  try {
    for (let i = 0; i < SYNC_SAMPLES; i++) {
      const start = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      waits.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  line('disk.fdatasync_4k_p50', percentile(waits, 50), 'ms');
  line('disk.fdatasync_4k_p99', percentile(waits, 99), 'ms');
}

async function throughputAndLatency(): Promise<void> {
  signatureCheckCost();
  diskSyncCost();
  const pair = await startPair();
  const fanout: Partial<Record<Contender['name'], ThroughputRun>> = {};
  const manyRooms: Partial<Record<Contender['name'], ThroughputRun>> = {};
  const p50: Measured = {};
  const p99: Measured = {};
  for (const c of pair) {
    await attempt('warm-up', c, async () => {
      const room = await c.side.openRoom(1, WARM_UP_MESSAGES, PAYLOAD_BYTES);
      await runThroughput([room], WARM_UP_MESSAGES, FANOUT.window, TIMEOUT_MS);
      await room.close();
    });
  }
  // Alternating rounds, best of each: other work on a shared machine lands on one side or the other.
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const c of pair) {
      const run = await attempt('fan-out', c, async () => {
        const room = await c.side.openRoom(FANOUT.receivers, FANOUT.messages, PAYLOAD_BYTES);
        const run = await timedRun(c, [room], FANOUT, FANOUT.messages * FANOUT.receivers);
        await room.close();
        return run;
      });
      fanout[c.name] = better(fanout[c.name], run);
    }
    for (const c of pair) {
      const run = await attempt('many rooms', c, async () => {
        const rooms = await Promise.all(
          Array.from({ length: MANY_ROOMS.rooms }, () =>
            c.side.openRoom(1, MANY_ROOMS.messages, PAYLOAD_BYTES),
          ),
        );
        const run = await timedRun(c, rooms, MANY_ROOMS, MANY_ROOMS.rooms * MANY_ROOMS.messages);
        await Promise.all(rooms.map((room) => room.close()));
        return run;
      });
      manyRooms[c.name] = better(manyRooms[c.name], run);
    }
  }
  for (const c of pair) {
    const latencies = await attempt('paced latency', c, async () => {
      const room = await c.side.openRoom(FANOUT.receivers, PACED.messages, PAYLOAD_BYTES);
      const measured = await runPaced(room, PACED.messages, PACED.perSecond, TIMEOUT_MS);
      await room.close();
      return measured;
    });
    if (latencies) {
      p50[c.name] = percentile(latencies, 50);
      p99[c.name] = percentile(latencies, 99);
    }
  }
  await stopPair(pair);
  for (const [metric, runs] of [
    ['fanout_1x9', fanout],
    ['rooms_200x2', manyRooms],
  ] as const) {
    compare(
      `${metric}_delivered_per_s`,
      'msg/s',
      pick(runs, (r) => r.perSecond),
    );
    compare(
      `${metric}_relay_cpu_per_delivered`,
      'µs',
      pick(runs, (r) => r.relayCpuUs),
    );
    compare(
      `${metric}_client_cpu_per_delivered`,
      'µs',
      pick(runs, (r) => r.clientCpuUs),
    );
  }
  compare('latency_200_per_s_p50', 'ms', p50);
  compare('latency_200_per_s_p99', 'ms', p99);
}

/**
 * How long both relays sit with their idle connections before memory is read a second time. V8 grows its young
 * generation while thousands of sockets open and gives it back only after a quiet while (about half a minute here):
 * read at once, that transient space divided by the connections dominates both figures; read after the wait, what
 * stays is what an idle connection costs.
 */
const IDLE_QUIET_MS = 40_000;

/** Memory only, so both relays are loaded at once (each in its own process) to save time. */
async function idleConnections(): Promise<void> {
  const pair = await startPair();
  const baseline: Measured = {};
  const perConnection: Measured = {};
  const perConnectionQuiet: Measured = {};
  await Promise.all(
    pair.map(async (c) => {
      const before = (await c.process.settled()).rss;
      baseline[c.name] = before / MB;
      await attempt('idle connections', c, async () => {
        const idle = await c.side.openIdle(IDLE_CONNECTIONS);
        perConnection[c.name] = ((await c.process.settled()).rss - before) / IDLE_CONNECTIONS;
        await new Promise((resolve) => setTimeout(resolve, IDLE_QUIET_MS));
        perConnectionQuiet[c.name] = ((await c.process.settled()).rss - before) / IDLE_CONNECTIONS;
        await idle.close();
      });
    }),
  );
  await stopPair(pair);
  compare('rss_empty_process', 'MB', baseline);
  line('idle_connections_opened', IDLE_CONNECTIONS, 'connections');
  compare('memory_per_idle_connection', 'bytes', perConnection);
  compare(`memory_per_idle_connection_after_${IDLE_QUIET_MS / 1000}s_idle`, 'bytes', perConnectionQuiet);
}

/** Rooms are written to both relays at once (only memory is measured after); catch-up is timed one at a time. */
async function heldRoomsAndCatchUp(): Promise<void> {
  const pair = await startPair();
  // Each process's own footprint before any room exists: what holding the rooms adds is measured against it.
  const empty: Measured = {};
  const emptyHeap: Measured = {};
  for (const c of pair) {
    const settled = await c.process.settled();
    empty[c.name] = settled.rss / MB;
    emptyHeap[c.name] = settled.heapUsed / MB;
  }
  const held: Measured = {};
  const heldOverEmpty: Measured = {};
  const heapAdded: Measured = {};
  const catchUpMs: Measured = {};
  const wirePerPayload: Measured = {};
  const written = await Promise.all(
    pair.map((c) =>
      attempt('writing held rooms', c, async () => {
        const opened = await Promise.all(
          Array.from({ length: HELD.rooms }, () => c.side.openRoom(1, HELD.messages, PAYLOAD_BYTES)),
        );
        await runThroughput(opened, HELD.messages, HELD.window, TIMEOUT_MS * 2);
        await Promise.all(opened.map((room) => room.close()));
        return opened;
      }),
    ),
  );
  for (const [i, c] of pair.entries()) {
    if (!written[i]) continue;
    const settled = await c.process.settled();
    held[c.name] = settled.rss / MB;
    heldOverEmpty[c.name] = held[c.name]! - empty[c.name]!;
    heapAdded[c.name] = settled.heapUsed / MB - emptyHeap[c.name]!;
  }
  for (const [i, c] of pair.entries()) {
    const rooms = written[i];
    if (!rooms) continue;
    const caughtUp = await attempt('catch-up', c, () => c.side.catchUp(rooms[0]));
    if (!caughtUp) continue;
    if (caughtUp.messages !== HELD.messages) {
      console.log(`# catch-up (${c.name}) received ${caughtUp.messages} of ${HELD.messages} messages`);
    }
    catchUpMs[c.name] = caughtUp.ms;
    wirePerPayload[c.name] = caughtUp.wireBytes / caughtUp.payloadBytes;
  }
  const snapshotMs: Measured = {};
  const snapshotWire: Measured = {};
  // Hearth's new devices start from a snapshot once a member has published one: the same catch-up, that way.
  const hearth = pair.find((c) => c.side instanceof HearthSide);
  const hearthRooms = hearth ? written[pair.indexOf(hearth)] : undefined;
  if (hearth && hearthRooms && hearth.side instanceof HearthSide) {
    const side = hearth.side;
    const viaSnapshot = await attempt('snapshot catch-up', hearth, () =>
      side.catchUpFromSnapshot(hearthRooms[1], HELD.messages, PAYLOAD_BYTES),
    );
    if (viaSnapshot) {
      snapshotMs.relay = viaSnapshot.ms;
      snapshotWire.relay = viaSnapshot.wireBytes / viaSnapshot.payloadBytes;
    }
  }
  snapshotMs.reference = catchUpMs.reference;
  snapshotWire.reference = wirePerPayload.reference;
  await stopPair(pair);
  compare(`rss_holding_${HELD.rooms}x${HELD.messages}`, 'MB', held);
  compare(`rss_added_by_holding_${HELD.rooms}x${HELD.messages}`, 'MB', heldOverEmpty);
  // The live JS heap added: what each relay still holds of the rooms once collected (RSS also keeps the allocator's
  // and V8's high-water marks, and Hearth's signature-checking thread).
  compare(`heap_added_by_holding_${HELD.rooms}x${HELD.messages}`, 'MB', heapAdded);
  compare(`catchup_${HELD.messages}_time`, 'ms', catchUpMs);
  compare(`catchup_${HELD.messages}_wire_per_payload_byte`, 'x', wirePerPayload);
  compare(`catchup_snapshot_${HELD.messages}_time`, 'ms', snapshotMs);
  compare(`catchup_snapshot_${HELD.messages}_wire_per_payload_byte`, 'x', snapshotWire);
}

console.log(
  '# goals (DESIGN.md; read, never asserted): ratio.fanout >= 4, ratio.rooms >= 2, relay catch-up wire <= 1.07x ' +
    'payload, memory ratios <= 1, latency within a few ms of the reference',
);
await throughputAndLatency();
await idleConnections();
await heldRoomsAndCatchUp();
