import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { fromHex } from '../../src/lib/protocol/hex';
import { LocalFanout, type Fanout, type RoomEvent, type RoomListener, type RoomsListener } from '../fanout';
import type { Logger } from '../log';
import { withTimeout } from '../withTimeout';
import {
  appendedMessages,
  decodeRelayMessage,
  membersChangedMessage,
  messageOrigin,
  roomsChangedMessage,
  messageRoom,
  ORIGIN_BYTES,
} from './redisMessage';

/** One channel for all rooms: every relay is subscribed from start, so no event slips past a room being joined. */
export const FANOUT_CHANNEL = 'hearth:fanout:v1';
const CONNECT_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 2_000;
const QUIT_TIMEOUT_MS = 2_000;

/**
 * Fan-out across relay processes through Redis pub/sub.
 *
 * A commit's events go to this process's listeners at once (as LocalFanout does) and to Redis; each process tags
 * its publications with a random origin and skips its own when Redis echoes them, so nothing is delivered twice and
 * local delivery does not wait for, or depend on, Redis. Events from other processes reach local listeners as they
 * arrive. They may arrive out of seq order relative to local commits (two processes commit to one room): a
 * Subscription treats any gap as "read from storage", so order and completeness come from the database, and Redis
 * only has to be fast, not perfect. When the subscriber link to Redis drops, events of that window are lost: on
 * reconnect every listened room gets `resync` (read from storage) and a fresh member list.
 *
 * Membership changes travel as "room X changed"; the receiver's subscribers reload the room's lists from storage.
 */
export class RedisFanout implements Fanout {
  private readonly local = new LocalFanout();
  private readonly origin = new Uint8Array(randomBytes(ORIGIN_BYTES));
  private subscribedOnce = false;
  private linkDown = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly log: Logger,
  ) {}

  /** Connect both links and subscribe before the relay takes its first socket; rejects if Redis is unreachable. */
  static async open(url: string, log: Logger): Promise<RedisFanout> {
    const options = { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 5 };
    const pub = new Redis(url, { ...options, connectionName: 'hearth-relay-pub' });
    const sub = new Redis(url, { ...options, connectionName: 'hearth-relay-sub' });
    const fanout = new RedisFanout(pub, sub, log);
    pub.on('error', (error) => fanout.linkFailed('publish', error));
    sub.on('error', (error) => fanout.linkFailed('subscribe', error));
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => fanout.onMessage(message));
    sub.on('ready', () => void fanout.onSubscriberReady());
    try {
      await withTimeout(Promise.all([pub.connect(), sub.connect()]), CONNECT_TIMEOUT_MS, 'connect to redis');
      await withTimeout(sub.subscribe(FANOUT_CHANNEL), CONNECT_TIMEOUT_MS, 'subscribe to redis');
      fanout.subscribedOnce = true;
    } catch (error) {
      pub.disconnect();
      sub.disconnect();
      throw error;
    }
    return fanout;
  }

  publish(event: RoomEvent): void {
    this.local.publish(event);
    if (event.type === 'appended') {
      for (const message of appendedMessages(this.origin, event.room, event.deliveries)) this.send(message);
    } else if (event.type === 'members') {
      this.send(membersChangedMessage(this.origin, event.room));
    }
  }

  subscribe(room: Uint8Array, listener: RoomListener): void {
    this.local.subscribe(room, listener);
  }

  unsubscribe(room: Uint8Array, listener: RoomListener): void {
    this.local.unsubscribe(room, listener);
  }

  listeners(room: Uint8Array): readonly RoomListener[] {
    return this.local.listeners(room);
  }

  publishRooms(identity: Uint8Array): void {
    this.local.publishRooms(identity);
    this.send(roomsChangedMessage(this.origin, identity));
  }

  subscribeRooms(identity: Uint8Array, listener: RoomsListener): void {
    this.local.subscribeRooms(identity, listener);
  }

  unsubscribeRooms(identity: Uint8Array, listener: RoomsListener): void {
    this.local.unsubscribeRooms(identity, listener);
  }

  /** Both links are up and Redis answers PING. */
  async ping(): Promise<void> {
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') {
      throw new Error(`redis link not ready (publish ${this.pub.status}, subscribe ${this.sub.status})`);
    }
    await withTimeout(this.pub.ping(), PING_TIMEOUT_MS, 'redis ping');
  }

  /** Send what is queued, then close both links (cut them if Redis does not answer in time). */
  async close(): Promise<void> {
    await Promise.all(
      [this.pub, this.sub].map((link) =>
        withTimeout(link.quit(), QUIT_TIMEOUT_MS, 'redis quit').catch(() => link.disconnect()),
      ),
    );
  }

  private send(message: Buffer): void {
    // Stored and acked already: a relay that misses this catches up on its next gap or its resync.
    this.pub.publish(FANOUT_CHANNEL, message).catch((error: unknown) => {
      this.log.warn({ err: error }, 'fan-out publish to redis failed');
    });
  }

  private onMessage(message: Buffer): void {
    const origin = messageOrigin(message);
    if (origin.length === ORIGIN_BYTES && Buffer.compare(origin, this.origin) === 0) return;
    const room = messageRoom(message);
    if (room && !this.local.hasListeners(room)) return;
    let decoded;
    try {
      decoded = decodeRelayMessage(message);
    } catch (error) {
      // Not from a relay of this version: dropping it loses nothing, subscribers read storage on the next gap.
      this.log.warn({ err: error, bytes: message.length }, 'malformed fan-out message dropped');
      return;
    }
    if (decoded.kind === 'appended') {
      this.local.publish({ type: 'appended', room: decoded.room, deliveries: decoded.deliveries });
    } else if (decoded.kind === 'roomsChanged') {
      this.local.publishRooms(decoded.identity);
    } else {
      this.reloadMembers(decoded.room);
    }
  }

  private reloadMembers(room: Uint8Array): void {
    // Subscribers reread members, devices, log and key bundles from storage themselves.
    if (this.local.hasListeners(room)) this.local.publish({ type: 'members', room });
  }

  private linkFailed(link: string, error: Error): void {
    // Log the first failure of an outage, not every reconnect attempt.
    if (this.linkDown) return;
    this.linkDown = true;
    this.log.error({ err: error, link }, 'redis link failed; reconnecting');
  }

  /** After a reconnect: make sure the channel is subscribed, then have every listened room reread storage. */
  private async onSubscriberReady(): Promise<void> {
    if (!this.subscribedOnce) return;
    try {
      await this.sub.subscribe(FANOUT_CHANNEL);
    } catch (error) {
      this.log.error({ err: error }, 'redis resubscribe failed');
      return;
    }
    this.linkDown = false;
    const rooms = this.local.listenedRooms();
    this.log.warn({ rooms: rooms.length }, 'redis link back; resyncing listened rooms from storage');
    for (const key of rooms) {
      const room = fromHex(key);
      this.local.publish({ type: 'resync', room });
      this.reloadMembers(room);
    }
  }
}
