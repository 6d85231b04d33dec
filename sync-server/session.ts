import type { ErrorCode } from '../src/lib/protocol/errors';
import type { Frame, RoomDevice } from '../src/lib/protocol/frames';
import type { Logger } from './log';
import type { DeviceKeys } from './storage/RelayStorage';
import type { Subscription } from './subscription';

/** A device that proved possession of its signing key on this socket. */
export interface AuthedDevice {
  signPublic: Uint8Array;
  boxPublic: Uint8Array;
  /**
   * The identity it acts for: rooms, invites and membership are the identity's. For a first device these are its
   * own keys; for a linked device, the keys that certified it.
   */
  identity: DeviceKeys;
  /** First 8 hex chars of the signing key, for logs. */
  tag: string;
}

/** What handlers may do with the socket they serve. */
export interface Session {
  /** This socket's number in this relay process (logs, and its slot among its device's sockets). */
  readonly id: number;
  readonly log: Logger;
  /** The 32 random bytes sent in this socket's CHALLENGE; null once the socket has authenticated. */
  readonly challenge: Uint8Array | null;
  readonly device: AuthedDevice | null;
  /** Live subscriptions of this socket, by room id in hex. */
  readonly subscriptions: Map<string, Subscription>;
  readonly isOpen: boolean;
  readonly bufferedAmount: number;
  /** When the frame being handled arrived (performance.now()), for the append latency metric. */
  readonly frameReceivedAt: number;
  send(frame: Frame): void;
  sendBytes(bytes: Uint8Array): void;
  sendError(code: ErrorCode, message: string, ref?: Uint8Array): void;
  /**
   * The socket now acts for `device`, unless the device already holds MAX_CONNECTIONS_PER_DEVICE sockets in this
   * process: false then, and nothing changed.
   */
  authenticated(device: AuthedDevice): boolean;
  close(code: number, reason: string): void;
  /** Count an append from enqueue to ack, so a socket that floods the queue stops being read. */
  appendStarted(): void;
  appendSettled(): void;
  /** A room this socket subscribes to has a new device list (a revoked own device closes the socket). */
  roomDevicesChanged(devices: RoomDevice[]): void;
  /** A DELIVER frame was sent from storage rather than live fan-out (counted in /metrics). */
  catchUpPageSent(): void;
  /** `subscription` ended (the identity left the room, the catch-up failed, or it was replaced or closed). */
  subscriptionEnded(subscription: Subscription): void;
}
