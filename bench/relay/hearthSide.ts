import type WebSocket from 'ws';
import * as Y from 'yjs';
import { cryptoReady, generateDeviceKeys, newSymmetricKey } from '../../src/lib/crypto';
import { sealSnapshot } from '../../src/lib/sync/snapshot';
import { uploadBlob, sha256 } from '../../tests/helpers/blobTransfer';
import { decodeEnvelope } from '../../src/lib/protocol/envelope';
import { decodeFrame, FRAME } from '../../src/lib/protocol/frames';
import { bytesEqual } from '../../src/lib/protocol/hex';
import {
  claimSignature,
  makeDevice,
  makeEnvelope,
  makeSigner,
  randomBytesOf,
  randomInviteId,
  RelayClient,
  type TestDevice,
} from '../../tests/helpers/relayClient';
import type { BenchRoom, CatchUp, RelaySide } from './workloads';

/** Rooms set up at once while opening many idle connections. */
const SETUP_CONCURRENCY = 64;
/**
 * Timed runs (up to this many messages per room) send envelopes signed in advance, so the bench's own signing is not
 * timed; bigger rooms (the held rooms, where only memory is measured) sign each envelope as it is sent.
 */
const PRESIGN_LIMIT = 5000;

/**
 * Hearth's side: devices with their own Ed25519 keys, authenticated by the relay's challenge; rooms created by the
 * sender, receivers admitted through invites as the app does; envelopes with random ciphertext of the payload's size,
 * signed by the sender. Setup goes through the tests' RelayClient; the measured part reads raw frames.
 */
export class HearthSide implements RelaySide {
  constructor(private readonly wsUrl: string) {}

  async openRoom(receivers: number, messages: number, payloadBytes: number): Promise<HearthRoom> {
    const owner = makeDevice();
    const sender = await RelayClient.connectAs(this.wsUrl, owner);
    const room = await sender.createRoom();
    const guests: RelayClient[] = [];
    for (let i = 0; i < receivers; i++) guests.push(await this.join(sender, room));
    for (const client of [sender, ...guests]) await subscribe(client, room);
    return new HearthRoom(owner, room, sender, guests, messages, payloadBytes);
  }

  async openIdle(count: number): Promise<{ close(): Promise<void> }> {
    const clients: RelayClient[] = [];
    const pairs = Math.ceil(count / 2);
    for (let done = 0; done < pairs; done += SETUP_CONCURRENCY) {
      const batch = Math.min(SETUP_CONCURRENCY, pairs - done);
      const opened = await Promise.all(Array.from({ length: batch }, () => this.openPair()));
      clients.push(...opened.flat());
    }
    const open = clients.slice(0, count);
    for (const extra of clients.slice(count)) extra.close();
    return { close: async () => closeAll(open) };
  }

  async catchUp(benchRoom: BenchRoom): Promise<CatchUp> {
    const { owner, room } = benchRoom as HearthRoom;
    const creator = await RelayClient.connectAs(this.wsUrl, owner);
    const reader = await this.join(creator, room);
    creator.close();
    let wireBytes = 0;
    let payloadBytes = 0;
    let messages = 0;
    reader.ws.removeAllListeners('message');
    const caughtUp = new Promise<void>((resolve, reject) => {
      reader.ws.on('message', (data: Buffer) => {
        wireBytes += data.byteLength;
        const frame = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if (frame.type === 'deliver') {
          for (const d of frame.deliveries)
            payloadBytes += decodeEnvelope(d.envelope).envelope.ciphertext.length;
          messages += frame.deliveries.length;
        } else if (frame.type === 'caughtUp') {
          resolve();
        } else if (frame.type === 'error') {
          reject(new Error(`relay answered ${frame.code}: ${frame.message}`));
        }
      });
    });
    const start = performance.now();
    reader.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    await caughtUp;
    const ms = performance.now() - start;
    reader.close();
    return { ms, wireBytes, payloadBytes, messages };
  }

  /**
   * Catch-up the way a new device does it once a member has published a snapshot: SUBSCRIBE_LATEST, SNAPSHOT, the
   * sealed document as blob chunks, then the (empty) tail. The snapshot is what the app would seal: the room's
   * document holding the same `messages` texts of `payloadBytes` characters the reference's document holds.
   */
  async catchUpFromSnapshot(benchRoom: BenchRoom, messages: number, payloadBytes: number): Promise<CatchUp> {
    const { owner, room } = benchRoom as HearthRoom;
    await cryptoReady();
    const doc = new Y.Doc();
    const texts = doc.getArray<string>('messages');
    doc.transact(() => {
      for (let i = 0; i < messages; i++) texts.push([printableText(payloadBytes)]);
    });
    const author = generateDeviceKeys();
    const sealed = sealSnapshot({
      room,
      author,
      epoch: 0,
      roomKey: newSymmetricKey(),
      upToSeq: messages,
      state: Y.encodeStateAsUpdate(doc),
    });
    const creator = await RelayClient.connectAs(this.wsUrl, owner);
    await uploadBlob(creator, room, sealed);
    creator.sendFrame({ type: 'putSnapshot', room, upToSeq: messages, hash: sha256(sealed) });
    await creator.expect('snapshotStored');
    const reader = await this.join(creator, room);
    creator.close();

    let wireBytes = 0;
    reader.ws.removeAllListeners('message');
    const done = new Promise<void>((resolve, reject) => {
      let caughtUp = false;
      let blobDone = false;
      reader.ws.on('message', (data: Buffer) => {
        wireBytes += data.byteLength;
        const frame = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if (frame.type === 'snapshot') {
          reader.sendFrame({ type: 'blobGet', room, hash: frame.hash, offset: 0 });
        } else if (frame.type === 'blobChunk') {
          const next = frame.offset + frame.chunk.length;
          if (next < frame.size) reader.sendFrame({ type: 'blobGet', room, hash: frame.hash, offset: next });
          else blobDone = true;
        } else if (frame.type === 'caughtUp') {
          caughtUp = true;
        } else if (frame.type === 'error') {
          reject(new Error(`relay answered ${frame.code}: ${frame.message}`));
        }
        if (caughtUp && blobDone) resolve();
      });
    });
    const start = performance.now();
    reader.sendFrame({ type: 'subscribeLatest', room });
    await done;
    const ms = performance.now() - start;
    reader.close();
    return { ms, wireBytes, payloadBytes: messages * payloadBytes, messages };
  }

  /** A new device joins `room` through an invite its creator (connected as `creator`, not subscribed) stores. */
  private async join(creator: RelayClient, room: Uint8Array): Promise<RelayClient> {
    const inviteId = randomInviteId();
    const claimKey = makeSigner();
    creator.sendFrame({
      type: 'putInvite',
      room,
      inviteId,
      claimPublic: claimKey.publicKey,
      expiresAt: Date.now() + 60 * 60 * 1000,
      box: randomBytesOf(200),
    });
    await creator.expect('inviteStored');
    const device = makeDevice();
    const guest = await RelayClient.connectAs(this.wsUrl, device);
    guest.sendFrame({ type: 'claimInvite', inviteId, signature: claimSignature(claimKey, inviteId, device) });
    await guest.expect('claimed');
    return guest;
  }

  /** A therapist's and a client's device in a room of their own, both subscribed and idle. */
  private async openPair(): Promise<RelayClient[]> {
    const creator = await RelayClient.connectAs(this.wsUrl);
    const room = await creator.createRoom();
    const guest = await this.join(creator, room);
    await subscribe(creator, room);
    await subscribe(guest, room);
    return [creator, guest];
  }
}

class HearthRoom implements BenchRoom {
  readonly receivers: number;
  onReceive: (receiver: number, first: number, count: number) => void = () => {};
  onFailure: (why: string) => void = () => {};
  private readonly envelopes: Uint8Array[] = [];
  private closing = false;

  constructor(
    readonly owner: TestDevice,
    readonly room: Uint8Array,
    private readonly sender: RelayClient,
    private readonly guests: RelayClient[],
    messages: number,
    private readonly payloadBytes: number,
  ) {
    this.receivers = guests.length;
    if (messages <= PRESIGN_LIMIT) {
      for (let i = 0; i < messages; i++) this.envelopes.push(this.envelope(i));
    }
    this.listen(sender, () => {});
    guests.forEach((guest, receiver) =>
      this.listen(guest, (bytes) => {
        const frame = decodeFrame(bytes);
        if (frame.type !== 'deliver' || frame.deliveries.length === 0) return;
        // The room is new and the sender its only author, so seq n is message n - 1.
        this.onReceive(receiver, frame.deliveries[0].seq - 1, frame.deliveries.length);
      }),
    );
  }

  send(index: number): void {
    this.sender.sendFrame({ type: 'append', envelope: this.envelopes[index] ?? this.envelope(index) });
  }

  async close(): Promise<void> {
    this.closing = true;
    await closeAll([this.sender, ...this.guests]);
  }

  private envelope(index: number): Uint8Array {
    return makeEnvelope({
      author: this.owner,
      room: this.room,
      clock: index + 1,
      ciphertext: randomBytesOf(this.payloadBytes),
    }).bytes;
  }

  /** Replace RelayClient's decode-everything inbox with a lean reader (DELIVERs only; ERRORs fail the run). */
  private listen(client: RelayClient, onDeliver: (bytes: Uint8Array) => void): void {
    const ws: WebSocket = client.ws;
    ws.removeAllListeners('message');
    ws.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      // Frame types are single-byte varuints: byte 0 is the version, byte 1 the type.
      if (bytes[1] === FRAME.deliver) onDeliver(bytes);
      else if (bytes[1] === FRAME.error) {
        const frame = decodeFrame(bytes);
        if (frame.type === 'error') this.onFailure(`relay answered ${frame.code}: ${frame.message}`);
      }
    });
    ws.on('close', (code) => {
      if (!this.closing) this.onFailure(`relay closed a socket (${code})`);
    });
  }
}

/**
 * SUBSCRIBE from seq 0 and wait for CAUGHT_UP. Not RelayClient.subscribe, which wants nothing but DELIVERs between
 * MEMBERS and CAUGHT_UP: with Redis fan-out, the MEMBERS push of a claim made just before can arrive in between.
 */
async function subscribe(client: RelayClient, room: Uint8Array): Promise<void> {
  client.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
  await client.waitFor('caughtUp', (frame) => bytesEqual(frame.room, room));
}

/** Text of `length` printable ASCII characters (one byte each in UTF-8), as a message would be. */
function printableText(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(32 + Math.floor(Math.random() * 95));
  return out;
}

async function closeAll(clients: RelayClient[]): Promise<void> {
  for (const client of clients) client.close();
  await Promise.all(clients.map((client) => client.closed));
}
