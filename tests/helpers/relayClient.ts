import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import { encodeEnvelope, encodeEnvelopeHeader, ENVELOPE_KIND } from '../../src/lib/protocol/envelope';
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  type FrameOf,
  type FrameType,
} from '../../src/lib/protocol/frames';
import {
  ENVELOPE_ID_BYTES,
  INVITE_ID_BYTES,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  ROOM_ID_BYTES,
} from '../../src/lib/protocol/limits';
import {
  authSignedBytes,
  claimSignedBytes,
  envelopeSignedBytes,
  withDomain,
} from '../../src/lib/protocol/signedPayloads';

const DEFAULT_TIMEOUT_MS = 10_000;

export function randomBytesOf(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}
export const randomRoom = (): Uint8Array => randomBytesOf(ROOM_ID_BYTES);
export const randomEnvelopeId = (): Uint8Array => randomBytesOf(ENVELOPE_ID_BYTES);
export const randomInviteId = (): Uint8Array => randomBytesOf(INVITE_ID_BYTES);

/** An Ed25519 signer (node:crypto; byte-compatible with libsodium's crypto_sign_detached). */
export interface Signer {
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A test device: an Ed25519 signing key and a (random, never used by the relay) box public key. */
export interface TestDevice extends Signer {
  boxPublic: Uint8Array;
}

export function makeSigner(): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: rawPublicKey(publicKey), sign: (message) => signWith(privateKey, message) };
}

export function makeDevice(): TestDevice {
  return { ...makeSigner(), boxPublic: randomBytesOf(PUBLIC_KEY_BYTES) };
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

function signWith(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey));
}

export interface EnvelopeSpec {
  author: Signer;
  room: Uint8Array;
  clock: number;
  id?: Uint8Array;
  epoch?: number;
  ciphertext?: Uint8Array;
  /** Sign with this key instead of the author's (to forge). */
  signWith?: Signer;
}

/** A correctly encoded envelope signed over withDomain(update, header || ciphertext). */
export function makeEnvelope(spec: EnvelopeSpec): { bytes: Uint8Array; id: Uint8Array } {
  const header = {
    version: PROTOCOL_VERSION,
    kind: ENVELOPE_KIND.update,
    room: spec.room,
    id: spec.id ?? randomEnvelopeId(),
    author: spec.author.publicKey,
    epoch: spec.epoch ?? 0,
    clock: spec.clock,
    nonce: randomBytesOf(NONCE_BYTES),
  };
  const ciphertext = spec.ciphertext ?? randomBytesOf(48);
  const signed = withDomain(
    SIGN_DOMAIN.update,
    envelopeSignedBytes(encodeEnvelopeHeader(header), ciphertext),
  );
  const signature = (spec.signWith ?? spec.author).sign(signed);
  return { bytes: encodeEnvelope({ ...header, ciphertext, signature }), id: header.id };
}

/** The CLAIM_INVITE signature: the invite's claim key over (inviteId, claiming device's keys). */
export function claimSignature(claimKey: Signer, inviteId: Uint8Array, device: TestDevice): Uint8Array {
  return claimKey.sign(
    withDomain(SIGN_DOMAIN.claim, claimSignedBytes(inviteId, device.publicKey, device.boxPublic)),
  );
}

export interface Closed {
  code: number;
  reason: string;
}

/** A real WebSocket client of the relay that decodes every frame and lets a test await them in order. */
export class RelayClient {
  private readonly inbox: Frame[] = [];
  private waiter: (() => void) | null = null;
  readonly closed: Promise<Closed>;
  challenge: Uint8Array | null = null;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.waiter?.();
      });
    });
    ws.on('message', (data: Buffer) => {
      const frame = decodeFrame(new Uint8Array(data));
      if (frame.type === 'challenge') this.challenge = frame.nonce;
      this.inbox.push(frame);
      this.waiter?.();
    });
    ws.on('error', () => {
      // surfaced through `closed` and failed awaits
    });
  }

  /** Open a socket and wait for the relay's CHALLENGE (left in the inbox). */
  static async connect(wsUrl: string): Promise<RelayClient> {
    const ws = new WebSocket(wsUrl, { maxPayload: 4 * 1024 * 1024 });
    const client = new RelayClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.waitFor('challenge');
    return client;
  }

  /** Connect and authenticate as `device` (a new one if not given); resolves after READY. */
  static async connectAs(wsUrl: string, device: TestDevice = makeDevice()): Promise<RelayClient> {
    const client = await RelayClient.connect(wsUrl);
    await client.auth(device);
    return client;
  }

  device: TestDevice | null = null;

  async auth(device: TestDevice): Promise<void> {
    this.sendFrame(this.authFrame(device));
    await this.expect('ready');
    this.device = device;
  }

  /** The AUTH frame `device` would send for this socket's challenge (signed by `signer`, the device by default). */
  authFrame(device: TestDevice, signer: Signer = device): Frame {
    if (!this.challenge) throw new Error('no challenge received yet');
    const signed = withDomain(
      SIGN_DOMAIN.auth,
      authSignedBytes(this.challenge, device.publicKey, device.boxPublic),
    );
    return {
      type: 'auth',
      signPublic: device.publicKey,
      boxPublic: device.boxPublic,
      signature: signer.sign(signed),
    };
  }

  sendFrame(frame: Frame): void {
    this.ws.send(encodeFrame(frame));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** The next frame in arrival order (removed from the inbox). */
  async next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return this.take(() => 0, timeoutMs, 'any frame');
  }

  /** The next frame, which must be of `type` (an ERROR in its place fails with its code and text). */
  async expect<T extends FrameType>(type: T, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FrameOf<T>> {
    const frame = await this.next(timeoutMs);
    if (frame.type !== type) {
      const detail = frame.type === 'error' ? `error ${frame.code}: ${frame.message}` : frame.type;
      throw new Error(`expected ${type}, got ${detail}`);
    }
    return frame as FrameOf<T>;
  }

  /** The next ERROR frame, which must come next. */
  async expectError(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FrameOf<'error'>> {
    return this.expect('error', timeoutMs);
  }

  /** The first frame of `type` matching `match`, skipping (and keeping) frames before it. */
  async waitFor<T extends FrameType>(
    type: T,
    match: (frame: FrameOf<T>) => boolean = () => true,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<FrameOf<T>> {
    const frame = await this.take(
      () => this.inbox.findIndex((f) => f.type === type && match(f as FrameOf<T>)),
      timeoutMs,
      type,
    );
    return frame as FrameOf<T>;
  }

  /** Frames received and not yet taken. */
  pending(): Frame[] {
    return [...this.inbox];
  }

  /** APPEND and wait for its ACK (or fail with the ERROR's code). */
  async append(envelope: Uint8Array): Promise<FrameOf<'ack'>> {
    this.sendFrame({ type: 'append', envelope });
    return this.expect('ack');
  }

  async createRoom(room: Uint8Array = randomRoom()): Promise<Uint8Array> {
    this.sendFrame({ type: 'createRoom', room });
    await this.expect('roomCreated');
    return room;
  }

  /**
   * SUBSCRIBE and collect MEMBERS, the DEVICES, MEMBERSHIP_LOG and KEY_BUNDLE that follow it when there are any,
   * every DELIVER and the CAUGHT_UP that ends the catch-up.
   */
  async subscribe(
    room: Uint8Array,
    afterSeq = 0,
  ): Promise<{
    members: FrameOf<'members'>;
    devices: FrameOf<'devices'> | null;
    log: FrameOf<'membershipLog'> | null;
    keyBundle: FrameOf<'keyBundle'> | null;
    delivers: FrameOf<'deliver'>[];
    caughtUp: FrameOf<'caughtUp'>;
  }> {
    this.sendFrame({ type: 'subscribe', room, afterSeq });
    const members = await this.expect('members');
    let devices: FrameOf<'devices'> | null = null;
    let log: FrameOf<'membershipLog'> | null = null;
    let keyBundle: FrameOf<'keyBundle'> | null = null;
    const delivers: FrameOf<'deliver'>[] = [];
    for (;;) {
      const frame = await this.next();
      if (frame.type === 'caughtUp') return { members, devices, log, keyBundle, delivers, caughtUp: frame };
      const before = delivers.length === 0;
      if (frame.type === 'devices' && devices === null && log === null && before) {
        devices = frame;
        continue;
      }
      if (frame.type === 'membershipLog' && log === null && keyBundle === null && before) {
        log = frame;
        continue;
      }
      if (frame.type === 'keyBundle' && keyBundle === null && before) {
        keyBundle = frame;
        continue;
      }
      if (frame.type !== 'deliver') throw new Error(`expected deliver or caughtUp, got ${describe(frame)}`);
      delivers.push(frame);
    }
  }

  close(): void {
    this.ws.close();
  }

  private async take(find: () => number, timeoutMs: number, what: string): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.length > 0 ? find() : -1;
      if (index >= 0) return this.inbox.splice(index, 1)[0];
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
      });
    }
  }
}

function describe(frame: Frame): string {
  return frame.type === 'error' ? `error ${frame.code}: ${frame.message}` : frame.type;
}

/** All seqs carried by a list of DELIVER frames, in order. */
export function seqsOf(delivers: FrameOf<'deliver'>[]): number[] {
  return delivers.flatMap((d) => d.deliveries.map((x) => x.seq));
}

/** An invite the relay has stored, and the claim key that lets a device take it. */
export interface StoredInvite {
  inviteId: Uint8Array;
  claimKey: Signer;
}

/** Have `member` store an invite to `room` (an opaque `box`, valid for a minute); resolves once the relay has it. */
export async function storeInvite(
  member: RelayClient,
  room: Uint8Array,
  box: Uint8Array = randomBytesOf(64),
): Promise<StoredInvite> {
  const inviteId = randomInviteId();
  const claimKey = makeSigner();
  member.sendFrame({
    type: 'putInvite',
    room,
    inviteId,
    claimPublic: claimKey.publicKey,
    expiresAt: Date.now() + 60_000,
    box,
  });
  await member.expect('inviteStored');
  return { inviteId, claimKey };
}

/** A client of `device` on the relay at `wsUrl` that has claimed `invite`: connected and a member, not subscribed. */
export async function claimInvite(
  wsUrl: string,
  { inviteId, claimKey }: StoredInvite,
  device: TestDevice = makeDevice(),
): Promise<RelayClient> {
  const client = await RelayClient.connectAs(wsUrl, device);
  client.sendFrame({ type: 'claimInvite', inviteId, signature: claimSignature(claimKey, inviteId, device) });
  await client.expect('claimed');
  return client;
}

/** A client of `device` on the relay at `wsUrl`, admitted to `room` through an invite `creator` stores (with `box`). */
export async function joinThroughInvite(
  wsUrl: string,
  creator: RelayClient,
  room: Uint8Array,
  { device = makeDevice(), box }: { device?: TestDevice; box?: Uint8Array } = {},
): Promise<RelayClient> {
  return claimInvite(wsUrl, await storeInvite(creator, room, box), device);
}
