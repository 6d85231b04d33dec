import type { AppendQueue } from './appendQueue';
import type { BlobStorage } from './blobs/BlobStorage';
import type { Config } from './config';
import type { DeviceSockets } from './deviceSockets';
import type { Fanout } from './fanout';
import type { DeviceLimits } from './limits/deviceLimits';
import type { Logger } from './log';
import type { RelayMetrics } from './metrics';
import type { RoomPresence } from './push/roomPresence';
import type { VapidKeyPair } from './storage/RelayStorage';
import type { RelayStorage } from './storage/RelayStorage';

/** The relay's shared services, handed to every connection and handler. */
export interface RelayContext {
  config: Config;
  storage: RelayStorage;
  /** Ciphertext blobs (attachments, snapshots) and each room's latest snapshot. */
  blobs: BlobStorage;
  appendQueue: AppendQueue;
  fanout: Fanout;
  log: Logger;
  metrics: RelayMetrics;
  /** Per-device append rate, in this process. */
  deviceLimits: DeviceLimits;
  /** Each device's authenticated sockets in this process, up to the per-device cap: a revocation closes them. */
  deviceSockets: DeviceSockets;
  /** Which devices read which rooms on this process (no push for a room a device is reading). */
  presence: RoomPresence;
  /** The relay's VAPID key pair; its public half is served at /push/vapid-public-key. */
  vapid: VapidKeyPair;
}
