import { signDetached } from '../crypto';
import { SIGN_DOMAIN } from '../protocol/domains';
import type { ErrorCode } from '../protocol/errors';
import { decodeFrame, encodeFrame, type Frame, type FrameOf, type FrameType } from '../protocol/frames';
import { bytesEqual } from '../protocol/hex';
import { authSignedBytes, withDomain } from '../protocol/signedPayloads';

/** What the connection is doing, in the words the banner uses. */
export type ConnectionStatus = 'offline' | 'connecting' | 'online';

export interface ConnectionIdentity {
  signPublic: Uint8Array;
  signSecret: Uint8Array;
  boxPublic: Uint8Array;
}

/** An error frame from the relay, or a request that could not be made; `code` is the relay's stable code. */
export class RelayError extends Error {
  constructor(
    readonly code: ErrorCode | 'offline' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

type FrameListener = (frame: Frame) => void;

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * One WebSocket per device, as y-websocket keeps it: authenticate by signing the relay's challenge, reconnect
 * with jittered exponential backoff, and go quiet at once when the browser says it is offline. Rooms listen
 * for frames through `onFrame` and send through `send`.
 */
export class RelayConnection {
  private socket: WebSocket | null = null;
  private statusValue: ConnectionStatus = 'offline';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private readonly frameListeners = new Set<FrameListener>();
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private readonly readyListeners = new Set<() => void>();
  private readonly revokedListeners = new Set<() => void>();
  private revokedValue = false;

  constructor(
    private readonly url: string,
    private readonly identity: ConnectionIdentity,
    private readonly WebSocketImpl: typeof WebSocket = globalThis.WebSocket,
  ) {}

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** True once the relay said this device was removed: it stops connecting for good. */
  get revoked(): boolean {
    return this.revokedValue;
  }

  /** Called once, when the relay refuses this device as removed (device_revoked). */
  onRevoked(listener: () => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  start(): void {
    if (!this.stopped || this.revokedValue) return;
    this.stopped = false;
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.handleOnline);
      window.addEventListener('offline', this.handleOffline);
    }
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.handleOnline);
      window.removeEventListener('offline', this.handleOffline);
    }
    this.clearRetry();
    this.socket?.close(1000);
    this.socket = null;
    this.setStatus('offline');
  }

  onFrame(listener: FrameListener): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Called after every successful authentication: rooms resubscribe and resend their outbox. */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Send a frame if authenticated; false means it was not sent and the caller keeps it for later. */
  send(frame: Frame): boolean {
    if (this.statusValue !== 'online' || !this.socket || this.socket.readyState !== this.WebSocketImpl.OPEN) {
      return false;
    }
    this.socket.send(encodeFrame(frame));
    return true;
  }

  /**
   * Send a frame and wait for the reply of `replyType` that `matches`, or for an error frame whose ref is
   * `ref`. Rejects with `RelayError` ('offline' when it could not be sent, 'timeout', or the relay's code).
   */
  request<T extends FrameType>(
    frame: Frame,
    replyType: T,
    matches: (reply: FrameOf<T>) => boolean,
    ref: Uint8Array,
  ): Promise<FrameOf<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RelayError('timeout', 'The relay did not answer in time.'));
      }, REQUEST_TIMEOUT_MS);
      const off = this.onFrame((reply) => {
        if (reply.type === replyType && matches(reply as FrameOf<T>)) {
          clearTimeout(timer);
          off();
          resolve(reply as FrameOf<T>);
        } else if (reply.type === 'error' && bytesEqual(reply.ref, ref)) {
          clearTimeout(timer);
          off();
          reject(new RelayError(reply.code, reply.message));
        }
      });
      if (!this.send(frame)) {
        clearTimeout(timer);
        off();
        reject(new RelayError('offline', 'No connection to the relay.'));
      }
    });
  }

  /** Resolve once authenticated (immediately if already). */
  whenReady(): Promise<void> {
    if (this.statusValue === 'online') return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onReady(() => {
        off();
        resolve();
      });
    });
  }

  private connect(): void {
    if (this.stopped || this.socket) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.setStatus('offline');
      return;
    }
    this.setStatus('connecting');
    const socket = new this.WebSocketImpl(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onmessage = (event) => this.handleMessage(event.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setStatus(this.stopped ? 'offline' : 'connecting');
      this.scheduleRetry();
    };
    socket.onerror = () => socket.close();
  }

  private handleMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return;
    let frame: Frame;
    try {
      frame = decodeFrame(new Uint8Array(data));
    } catch {
      // A frame we cannot parse from the relay is dropped; the relay is not trusted with anything it could break.
      return;
    }
    if (frame.type === 'challenge') {
      this.answerChallenge(frame.nonce);
      return;
    }
    if (frame.type === 'error' && frame.code === 'device_revoked' && !this.revokedValue) {
      // Retrying cannot help: the relay will refuse this key from now on.
      this.revokedValue = true;
      this.stop();
      for (const listener of [...this.revokedListeners]) listener();
    }
    if (frame.type === 'ready') {
      this.attempt = 0;
      this.setStatus('online');
      for (const listener of [...this.readyListeners]) listener();
      return;
    }
    for (const listener of [...this.frameListeners]) listener(frame);
  }

  private answerChallenge(nonce: Uint8Array): void {
    const { signPublic, boxPublic, signSecret } = this.identity;
    const signature = signDetached(
      withDomain(SIGN_DOMAIN.auth, authSignedBytes(nonce, signPublic, boxPublic)),
      signSecret,
    );
    this.socket?.send(encodeFrame({ type: 'auth', signPublic, boxPublic, signature }));
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt);
    this.attempt++;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private readonly handleOnline = (): void => {
    this.attempt = 0;
    this.clearRetry();
    this.connect();
  };

  private readonly handleOffline = (): void => {
    this.clearRetry();
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.setStatus('offline');
  };

  private setStatus(status: ConnectionStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const listener of [...this.statusListeners]) listener(status);
  }
}
