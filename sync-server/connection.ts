import { randomFillSync } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { ProtocolError, type ErrorCode } from '../src/lib/protocol/errors';
import { decodeFrame, encodeFrame, type Frame, type RoomDevice } from '../src/lib/protocol/frames';
import { bytesEqual, toHex } from '../src/lib/protocol/hex';
import { CHALLENGE_BYTES, MAX_ERROR_TEXT_CHARS, MAX_FRAME_BYTES } from '../src/lib/protocol/limits';
import type { RelayContext } from './context';
import { closeRevokedSession } from './deviceSockets';
import type { RoomsListener } from './fanout';
import { dispatchFrame } from './handlers/dispatch';
import { handleListRooms } from './handlers/listRooms';
import type { Logger } from './log';
import { RelayError } from './relayError';
import type { AuthedDevice, Session } from './session';
import { StorageError } from './storage/StorageError';
import type { Subscription } from './subscription';
import { INVALID_FRAME } from './metrics';

export const CLOSE_AUTH_TIMEOUT = 4002;
export const CLOSE_TOO_LARGE = 1009;
export const CLOSE_RESTART = 1012;
/** Close code after ERROR too_many_connections: the device already holds MAX_CONNECTIONS_PER_DEVICE sockets. */
export const CLOSE_TOO_MANY_CONNECTIONS = 4003;

// Stop reading a socket with this many frames or appends unanswered; resume when it falls back under the low mark.
const PAUSE_AT = 256;
const RESUME_AT = 64;

let nextConnectionId = 1;

/**
 * One WebSocket's state machine: CHALLENGE sent → (AUTH ok) authenticated → closed. Frames are handled one at a
 * time in arrival order, so a pipelined CLAIM_INVITE then APPEND sees the claim committed; an APPEND's handler
 * returns once the append is queued, so pipelined appends still share a group commit.
 */
export class Connection implements Session, RoomsListener {
  readonly id = nextConnectionId++;
  /** Made by start(); dropped once the socket authenticates: AUTH checks it once, and an idle socket need not keep it. */
  challenge: Uint8Array | null = null;
  readonly subscriptions = new Map<string, Subscription>();
  device: AuthedDevice | null = null;
  /** When the frame being handled arrived (performance.now()): frames are handled one at a time. */
  frameReceivedAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private load = 0;
  private paused = false;
  private reading = true;
  private shuttingDown = false;
  private authTimer: NodeJS.Timeout | undefined;
  private corked = false;

  /** `connections` is the server's set of open connections: this one is in it from start() until its socket closes. */
  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under `ws`, corked while one turn of the event loop sends frames on it. */
    private readonly socket: Duplex,
    private readonly ctx: RelayContext,
    private readonly connections: Set<Connection>,
  ) {}

  /**
   * A logger whose lines say this socket's `conn`, made for the caller and not kept: sockets are idle most of their
   * life, and a child logger per socket would be held by every one of them. Lines on every frame use ctx.log with
   * `conn` instead, to make none.
   */
  get log(): Logger {
    return this.ctx.log.child({ conn: this.id });
  }

  start(): void {
    this.connections.add(this);
    this.ctx.log.info({ conn: this.id }, 'connection opened');
    this.ctx.metrics.connectionsOpen.inc();
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('close', (code) => this.onClose(code));
    this.ws.on('error', (error) => this.log.debug({ err: error }, 'socket error'));
    this.authTimer = setTimeout(() => {
      if (!this.device) this.close(CLOSE_AUTH_TIMEOUT, 'auth timeout');
    }, this.ctx.config.authTimeoutMs);
    const challenge = randomFillSync(new Uint8Array(CHALLENGE_BYTES));
    this.challenge = challenge;
    this.send({ type: 'challenge', nonce: challenge });
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Frame): void {
    this.sendBytes(encodeFrame(frame));
  }

  sendBytes(bytes: Uint8Array): void {
    if (!this.isOpen) return;
    this.ctx.metrics.frameSent(bytes);
    this.coalesceWrites();
    this.ws.send(bytes, { binary: true });
  }

  /**
   * Frames sent in one turn leave in one write: a group commit acks several of a device's appends at once, and a
   * system call per frame was the relay's largest cost after signatures and SQLite. Uncorked before any I/O runs.
   */
  private coalesceWrites(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  sendError(code: ErrorCode, message: string, ref: Uint8Array = new Uint8Array(0)): void {
    this.ctx.log.info({ conn: this.id, code }, 'error sent');
    this.send({ type: 'error', code, message: message.slice(0, MAX_ERROR_TEXT_CHARS), ref });
  }

  authenticated(device: AuthedDevice): boolean {
    if (!this.ctx.deviceSockets.add(device.signPublic, this)) return false;
    this.device = device;
    this.challenge = null;
    this.ctx.fanout.subscribeRooms(device.identity.signPublic, this);
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.ctx.metrics.connectionsAuthenticated.inc();
    return true;
  }

  /** A membership change added the identity to a room or took it out: say so with a fresh ROOM_LIST. */
  roomsChanged(): void {
    const device = this.device;
    if (device) this.chain = this.chain.then(() => this.sendRoomList(device));
  }

  subscriptionEnded(subscription: Subscription): void {
    // Ended by itself (the identity was removed from the room) or replaced: forget it, so nothing treats it as live.
    const key = toHex(subscription.room);
    if (this.subscriptions.get(key) === subscription) this.subscriptions.delete(key);
  }

  roomDevicesChanged(devices: RoomDevice[]): void {
    // A revocation made through another relay process reaches this one as the rooms' new device lists.
    const own = this.device;
    if (own && devices.some((d) => d.revokedAt > 0 && bytesEqual(d.signPublic, own.signPublic))) {
      closeRevokedSession(this);
    }
  }

  private async sendRoomList(device: AuthedDevice): Promise<void> {
    try {
      if (this.isOpen) await handleListRooms(this, device, this.ctx);
    } catch (error) {
      this.reportError(error);
    }
  }

  catchUpPageSent(): void {
    this.ctx.metrics.catchUpPages.inc();
  }

  close(code: number, reason: string): void {
    this.reading = false;
    this.closeSubscriptions();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
    }
  }

  /** Kill the socket without a close handshake (shutdown's last resort). */
  terminate(): void {
    this.reading = false;
    this.closeSubscriptions();
    this.ws.terminate();
  }

  /** Refuse further frames with shutting_down (shutdown); frames already received still finish. */
  stopReading(): void {
    this.reading = false;
    this.shuttingDown = true;
  }

  /** Resolves when every frame received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  appendStarted(): void {
    this.adjustLoad(1);
  }

  appendSettled(): void {
    this.adjustLoad(-1);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const arrivedAt = performance.now();
    if (!this.reading) {
      // Said once per frame, so a device knows these were not handled; 1012 follows once in-flight work is done.
      if (this.shuttingDown)
        this.sendError('shutting_down', 'the relay is restarting; send again after reconnecting');
      return;
    }
    if (!isBinary) {
      this.ctx.metrics.framesIn.inc({ type: INVALID_FRAME });
      this.sendError('malformed_frame', 'text frames are not accepted; frames are binary');
      return;
    }
    const bytes = toBytes(data);
    if (bytes.length > MAX_FRAME_BYTES) {
      this.ctx.metrics.framesIn.inc({ type: INVALID_FRAME });
      // Oversized frames are refused before decoding, and the socket closed: no client of ours sends one.
      this.sendError('frame_too_large', `frame is over ${MAX_FRAME_BYTES} bytes`);
      this.close(CLOSE_TOO_LARGE, 'frame too large');
      return;
    }
    this.adjustLoad(1);
    this.chain = this.chain.then(async () => {
      try {
        if (this.isOpen) {
          this.frameReceivedAt = arrivedAt;
          await dispatchFrame(this, this.decodeCounted(bytes), this.ctx);
        }
      } catch (error) {
        this.reportError(error);
      } finally {
        this.adjustLoad(-1);
      }
    });
  }

  private decodeCounted(bytes: Uint8Array): Frame {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.ctx.metrics.framesIn.inc({ type: INVALID_FRAME });
      throw error;
    }
    this.ctx.metrics.framesIn.inc({ type: frame.type });
    this.ctx.log.debug({ conn: this.id, type: frame.type, bytes: bytes.length }, 'frame received');
    return frame;
  }

  private reportError(error: unknown): void {
    if (error instanceof RelayError) {
      this.sendError(error.code, error.message, error.ref);
    } else if (error instanceof ProtocolError) {
      this.sendError(error.code, error.message);
    } else if (error instanceof StorageError) {
      this.log.error({ err: error }, 'storage failed handling a frame');
      this.sendError('storage_failed', 'the relay could not reach its storage; retry later');
    } else {
      this.log.error({ err: error }, 'unexpected error handling a frame');
      this.sendError('internal', 'the relay failed to handle this frame');
    }
  }

  private adjustLoad(delta: number): void {
    this.load += delta;
    if (!this.paused && this.load >= PAUSE_AT) {
      this.paused = true;
      this.ws.pause();
    } else if (this.paused && this.load <= RESUME_AT) {
      this.paused = false;
      this.ws.resume();
    }
  }

  private closeSubscriptions(): void {
    for (const subscription of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
  }

  private onClose(code: number): void {
    this.connections.delete(this);
    this.reading = false;
    clearTimeout(this.authTimer);
    this.closeSubscriptions();
    this.ctx.metrics.connectionsOpen.dec();
    if (this.device) {
      this.ctx.fanout.unsubscribeRooms(this.device.identity.signPublic, this);
      this.ctx.metrics.connectionsAuthenticated.dec();
      this.ctx.deviceLimits.releaseConnection(this.device.signPublic, this.id);
      this.ctx.deviceSockets.remove(this.device.signPublic, this);
    }
    this.ctx.log.info({ conn: this.id, code, device: this.device?.tag }, 'connection closed');
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
