import { CATCH_UP_PAGE_BYTES, CATCH_UP_PAGE_ENVELOPES } from '../src/lib/protocol/limits';
import { encodeFrame, type Delivery, type Member, type RoomDevice } from '../src/lib/protocol/frames';
import { bytesEqual } from '../src/lib/protocol/hex';
import { deliverFrames } from './deliverFrames';
import type { RelayContext } from './context';
import type { RoomEvent, RoomListener } from './fanout';
import type { Logger } from './log';
import type { AuthedDevice } from './session';

/** Above this many unsent bytes on a socket, the reader is served from storage once it drains, not from memory. */
export const HIGH_WATER_BYTES = 1024 * 1024;
const DRAIN_POLL_MS = 10;

/**
 * MEMBERS, then DEVICES when any member identity has linked or revoked devices: a device treats each MEMBERS as
 * resetting the room's device list, so a room without any never sees a DEVICES frame.
 */
export function membershipFrames(room: Uint8Array, members: Member[], devices: RoomDevice[]): Uint8Array[] {
  const frames = [encodeFrame({ type: 'members', room, members })];
  if (devices.length > 0) frames.push(encodeFrame({ type: 'devices', room, devices }));
  return frames;
}

/** The part of a socket a subscription writes to. */
export interface SubscriberSocket {
  /** Lines about this subscription (catch-up, failures) go to the socket's logger. */
  readonly log: Logger;
  readonly isOpen: boolean;
  readonly bufferedAmount: number;
  sendBytes(bytes: Uint8Array): void;
  roomDevicesChanged(devices: RoomDevice[]): void;
  catchUpPageSent(): void;
  /** Called once when `subscription` ends, however it ends. */
  subscriptionEnded(subscription: Subscription): void;
}

/** The relay's services a subscription uses: the relay's context itself, so a subscription adds no object for them. */
export type SubscriptionDeps = Pick<RelayContext, 'storage' | 'fanout'>;

/**
 * One socket's subscription to one room. Invariant: the socket receives each seq after `afterSeq` at most once and
 * in increasing order; `sentSeq` is the highest seq it has been given (as DELIVER, or as the ACK of its own append).
 * Live envelopes go straight out while they follow on from `sentSeq`; on a gap, or while the socket is backed up,
 * the subscription reads from storage until it reaches the head (catch-up), then goes live again.
 */
export class Subscription implements RoomListener {
  private sentSeq: number;
  private active = true;
  private catchingUp = false;
  /** A live event arrived during catch-up: read once more before going live, or it could be missed. */
  private missedLive = false;
  private caughtUpSent = false;
  private headSeq = 0;
  /** Members, devices, log or key bundles may have changed since last sent: reread them before the next page. */
  private membershipDirty = true;
  /** Log entries and the highest key bundle epoch this socket has been sent. */
  private sentLogLength = 0;
  private sentBundleEpoch = -1;
  /**
   * Seqs this socket already got as ACKs of its own appends, ahead of `sentSeq`: never DELIVERed to it. Made on the
   * first such ACK, so a reader that never writes holds no Set.
   */
  private ackedAhead: Set<number> | undefined;

  /**
   * `device` is the subscribing device: it is the room's `reader` here (no push about the room) while the subscription
   * lasts, and once the identity it acts for is no longer a member, the subscription ends.
   */
  constructor(
    readonly room: Uint8Array,
    afterSeq: number,
    private readonly socket: SubscriberSocket,
    private readonly device: AuthedDevice,
    private readonly deps: SubscriptionDeps,
  ) {
    this.sentSeq = afterSeq;
  }

  /**
   * Listen for live events first, then catch up: anything committed in between is read from storage. The room's
   * MEMBERS (DEVICES, MEMBERSHIP_LOG, KEY_BUNDLE) go out before any envelope.
   */
  start(): void {
    this.deps.fanout.subscribe(this.room, this);
    void this.catchUp();
  }

  get reader(): Uint8Array {
    return this.device.signPublic;
  }

  /** The socket was sent ACK(seq) for its own append to this room. */
  noteAcked(seq: number): void {
    if (this.active && seq > this.sentSeq) (this.ackedAhead ??= new Set()).add(seq);
  }

  close(): void {
    if (!this.active) return;
    this.active = false;
    this.deps.fanout.unsubscribe(this.room, this);
    this.ackedAhead = undefined;
    this.socket.subscriptionEnded(this);
  }

  roomEvent(event: RoomEvent): void {
    if (!this.active || !this.socket.isOpen) return;
    if (event.type === 'members') {
      // Reread before any later envelope goes out: a device must hold a new key and member list before it sees
      // envelopes that need them. Live envelopes meanwhile are read from storage after it.
      this.membershipDirty = true;
      void this.catchUp();
      return;
    }
    if (event.type === 'resync') {
      // Live events may have been lost between relays: storage has them all (catchUp rereads if already running).
      void this.catchUp();
      return;
    }
    if (this.catchingUp) {
      this.missedLive = true;
      return;
    }
    this.deliverLive(event.deliveries);
  }

  private deliverLive(deliveries: Delivery[]): void {
    const fresh = deliveries.filter((d) => d.seq > this.sentSeq);
    if (fresh.length === 0) return;
    if (fresh[0].seq !== this.sentSeq + 1 || this.socket.bufferedAmount > HIGH_WATER_BYTES) {
      this.socket.log.debug(
        { sentSeq: this.sentSeq, buffered: this.socket.bufferedAmount },
        'catching up from storage',
      );
      void this.catchUp();
      return;
    }
    const out: Delivery[] = [];
    for (const d of fresh) {
      if (d.seq !== this.sentSeq + 1) break; // cannot happen within one commit; stop rather than skip a seq
      this.sentSeq = d.seq;
      if (!this.ackedAhead?.delete(d.seq)) out.push(d);
    }
    this.send(out.length === deliveries.length ? deliveries : out);
    if (fresh.length > 0 && this.sentSeq < fresh[fresh.length - 1].seq) void this.catchUp();
  }

  private async catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.missedLive = true;
      return;
    }
    this.catchingUp = true;
    try {
      do {
        this.missedLive = false;
        await this.readToHead();
      } while (this.missedLive && this.active);
      if (this.active && !this.caughtUpSent && this.socket.isOpen) {
        this.caughtUpSent = true;
        this.socket.sendBytes(encodeFrame({ type: 'caughtUp', room: this.room, headSeq: this.headSeq }));
      }
    } catch (error) {
      if (this.active) this.fail(error);
    } finally {
      this.catchingUp = false;
    }
  }

  private async readToHead(): Promise<void> {
    for (;;) {
      await this.waitForDrain();
      if (!this.active || !this.socket.isOpen) return;
      if (this.membershipDirty && !(await this.sendMembership())) return;
      const page = await this.deps.storage.readAfter(this.room, this.sentSeq, {
        maxEnvelopes: CATCH_UP_PAGE_ENVELOPES,
        maxBytes: CATCH_UP_PAGE_BYTES,
      });
      if (!this.active) return;
      this.headSeq = page.headSeq;
      const out: Delivery[] = [];
      for (const d of page.deliveries) {
        if (d.seq <= this.sentSeq) continue;
        this.sentSeq = d.seq;
        if (!this.ackedAhead?.delete(d.seq)) out.push(d);
      }
      const frames = this.send(out);
      for (let i = 0; i < frames; i++) this.socket.catchUpPageSent();
      if (page.deliveries.length === 0 || this.sentSeq >= page.headSeq) return;
    }
  }

  /**
   * MEMBERS (and DEVICES), then the log entries and the newest key bundle this socket has not had yet, all read from
   * storage. A subscriber whose identity is no longer a member gets `not_a_member` and the subscription ends: a
   * removed member receives nothing new. False when the subscription ended.
   */
  private async sendMembership(): Promise<boolean> {
    this.membershipDirty = false;
    const { storage } = this.deps;
    const identity = this.device.identity.signPublic;
    const members = await storage.listMembers(this.room);
    if (!this.active || !this.socket.isOpen) return false;
    if (!members.some((m) => bytesEqual(m.signPublic, identity))) {
      // Tell it why first: the log entries it has not had end with its removal or departure. Nothing after them.
      const log = await storage.readMembershipLog(this.room);
      if (!this.active || !this.socket.isOpen) return false;
      this.close();
      if (log.length > this.sentLogLength) {
        const from = this.sentLogLength;
        this.socket.sendBytes(
          encodeFrame({ type: 'membershipLog', room: this.room, from, entries: log.slice(from) }),
        );
      }
      this.socket.sendBytes(
        encodeFrame({
          type: 'error',
          code: 'not_a_member',
          message: 'this device is no longer a member of the room',
          ref: this.room,
        }),
      );
      return false;
    }
    const devices = await storage.listRoomDevices(this.room);
    const log = await storage.readMembershipLog(this.room);
    const bundle = await storage.latestKeyBundle(this.room);
    if (!this.active || !this.socket.isOpen) return false;
    for (const frame of membershipFrames(this.room, members, devices)) this.socket.sendBytes(frame);
    if (log.length > this.sentLogLength) {
      const from = this.sentLogLength;
      this.socket.sendBytes(
        encodeFrame({ type: 'membershipLog', room: this.room, from, entries: log.slice(from) }),
      );
      this.sentLogLength = log.length;
    }
    if (bundle && bundle.epoch > this.sentBundleEpoch) {
      this.socket.sendBytes(encodeFrame({ type: 'keyBundle', bundle: bundle.bundle }));
      this.sentBundleEpoch = bundle.epoch;
    }
    this.socket.roomDevicesChanged(devices);
    return this.active;
  }

  /** Send `deliveries` as DELIVER frames; returns how many frames went out. */
  private send(deliveries: Delivery[]): number {
    if (deliveries.length === 0 || !this.socket.isOpen) return 0;
    const frames = deliverFrames(this.room, deliveries);
    for (const frame of frames) this.socket.sendBytes(frame);
    return frames.length;
  }

  private async waitForDrain(): Promise<void> {
    while (this.active && this.socket.isOpen && this.socket.bufferedAmount > HIGH_WATER_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  private fail(error: unknown): void {
    // The subscriber gets an error and must subscribe again; storage errors carry no content.
    this.socket.log.error({ err: error }, 'catch-up failed');
    this.close();
    if (this.socket.isOpen) {
      this.socket.sendBytes(
        encodeFrame({
          type: 'error',
          code: 'storage_failed',
          message: 'catch-up failed; subscribe again',
          ref: this.room,
        }),
      );
    }
  }
}
