import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { decodeFrame, FRAME, type FrameType } from '../src/lib/protocol/frames';
import { isErrorCode } from '../src/lib/protocol/errors';

const FRAME_NAMES = new Map<number, FrameType>(
  Object.entries(FRAME).map(([name, n]) => [n, name as FrameType]),
);

/** Frames that do not decode are counted under this type, so a flood of garbage shows on the dashboard. */
export const INVALID_FRAME = 'invalid';

/**
 * The relay's Prometheus metrics, in a registry of its own (plus Node's default process metrics). Labels are frame
 * types and error codes only: never a key, room, id or anything a device sent.
 */
export class RelayMetrics {
  readonly registry = new Registry();
  readonly connectionsOpen: Gauge;
  readonly connectionsAuthenticated: Gauge;
  readonly framesIn: Counter<'type'>;
  readonly framesOut: Counter<'type'>;
  readonly appendLatency: Histogram;
  readonly errors: Counter<'code'>;
  readonly catchUpPages: Counter;
  readonly envelopesStored: Counter;
  readonly pushesSent: Counter;
  readonly pushesFailed: Counter<'reason'>;
  readonly pushesCoalesced: Counter;
  readonly snapshotBlobsDeleted: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.connectionsOpen = new Gauge({
      name: 'hearth_connections_open',
      help: 'WebSockets open on /sync',
      registers,
    });
    this.connectionsAuthenticated = new Gauge({
      name: 'hearth_connections_authenticated',
      help: 'WebSockets that completed AUTH and are still open',
      registers,
    });
    this.framesIn = new Counter({
      name: 'hearth_frames_received_total',
      help: `Frames received from devices, by frame type ("${INVALID_FRAME}" when the frame did not decode)`,
      labelNames: ['type'],
      registers,
    });
    this.framesOut = new Counter({
      name: 'hearth_frames_sent_total',
      help: 'Frames sent to devices, by frame type',
      labelNames: ['type'],
      registers,
    });
    this.appendLatency = new Histogram({
      name: 'hearth_append_latency_seconds',
      help: 'From an APPEND frame arriving to its ACK being sent, commit included',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.errors = new Counter({
      name: 'hearth_errors_sent_total',
      help: 'ERROR frames sent, by code',
      labelNames: ['code'],
      registers,
    });
    this.catchUpPages = new Counter({
      name: 'hearth_catch_up_pages_total',
      help: 'DELIVER frames sent from storage (catch-up and gap recovery), not live fan-out',
      registers,
    });
    this.envelopesStored = new Counter({
      name: 'hearth_envelopes_stored_total',
      help: 'Envelopes newly stored (retries acked with their old seq are not counted)',
      registers,
    });
    this.pushesSent = new Counter({
      name: 'hearth_pushes_sent_total',
      help: 'Content-free Web Push notifications a push service accepted',
      registers,
    });
    this.pushesFailed = new Counter({
      name: 'hearth_pushes_failed_total',
      help: 'Pushes not accepted, by reason: gone (404/410, subscription deleted), refused, unreachable',
      labelNames: ['reason'],
      registers,
    });
    this.pushesCoalesced = new Counter({
      name: 'hearth_pushes_coalesced_total',
      help: 'Pushes skipped because the device had one within the coalescing window',
      registers,
    });
    this.snapshotBlobsDeleted = new Counter({
      name: 'hearth_snapshot_blobs_deleted_total',
      help: 'Replaced snapshot blobs deleted once their grace period had passed',
      registers,
    });
  }

  /** Count one frame about to be sent, from its encoded bytes (version byte, then the type; all types are < 128). */
  frameSent(bytes: Uint8Array): void {
    const type = FRAME_NAMES.get(bytes[1]) ?? INVALID_FRAME;
    this.framesOut.inc({ type });
    if (type !== 'error') return;
    // Errors are rare next to other frames: decoding one to label it by code costs nothing that matters.
    const frame = decodeFrame(bytes);
    if (frame.type === 'error') this.errors.inc({ code: isErrorCode(frame.code) ? frame.code : 'unknown' });
  }

  /** The text exposition format and its content type, for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
