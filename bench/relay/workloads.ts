/**
 * The same work for both relays. A side (Hearth's or the reference's clients) opens rooms of one sender and some
 * receivers; these runners drive them identically: the sender sends message 0, 1, 2... in order, and a room reports
 * each arrival at a receiver by message index.
 */

/** One room's clients, connected and caught up, ready to send messages prepared in advance. */
export interface BenchRoom {
  readonly receivers: number;
  /** Send message `index` (0, 1, 2... in order). */
  send(index: number): void;
  /** Set by a runner: receiver `receiver` now has messages `first` .. `first + count - 1`. */
  onReceive: (receiver: number, first: number, count: number) => void;
  /** Set by a runner: the relay refused or dropped something (an ERROR frame, a closed socket). */
  onFailure: (why: string) => void;
  close(): Promise<void>;
}

/** Clients of one relay: what a benchmark needs from either side. */
export interface RelaySide {
  /** A fresh room with one sender and `receivers` receivers, `messages` payloads of `payloadBytes` prepared. */
  openRoom(receivers: number, messages: number, payloadBytes: number): Promise<BenchRoom>;
  /** `count` idle connections, authenticated where the relay has auth, each in a room of two; resolves when all are. */
  openIdle(count: number): Promise<{ close(): Promise<void> }>;
  /** A device that never saw `room` joins it and reads everything in it: time and bytes received until caught up. */
  catchUp(room: BenchRoom): Promise<CatchUp>;
}

export interface CatchUp {
  ms: number;
  /** WebSocket message bytes the new device received until it was caught up. */
  wireBytes: number;
  /** What it received that was payload: ciphertext bytes (Hearth), inserted content bytes (reference). */
  payloadBytes: number;
  messages: number;
}

/**
 * Every room's sender sends `perRoom` messages, keeping at most `window` of them sent but not yet received by all of
 * its room's receivers. Resolves with the seconds from the first send to the last delivery.
 */
export function runThroughput(
  rooms: BenchRoom[],
  perRoom: number,
  window: number,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let unfinished = rooms.length;
    const timer = setTimeout(() => reject(new Error(`not done after ${timeoutMs} ms`)), timeoutMs);
    const pumps: Array<() => void> = [];
    let start = 0;
    for (const room of rooms) {
      const received = new Array<number>(room.receivers).fill(0);
      let sent = 0;
      let finished = false;
      const pump = () => {
        const floor = Math.min(...received);
        while (sent < perRoom && sent - floor < window) room.send(sent++);
      };
      room.onFailure = (why) => {
        clearTimeout(timer);
        reject(new Error(why));
      };
      room.onReceive = (receiver, first, count) => {
        received[receiver] = Math.max(received[receiver], first + count);
        if (!finished && received.every((n) => n >= perRoom)) {
          finished = true;
          if (--unfinished === 0) {
            clearTimeout(timer);
            resolve((performance.now() - start) / 1000);
          }
          return;
        }
        pump();
      };
      pumps.push(pump);
    }
    // Sends start only once every room has its handlers, so no delivery can arrive before they are set.
    start = performance.now();
    for (const pump of pumps) pump();
  });
}

/**
 * Send `count` messages at `perSecond`, on a schedule (not waiting for deliveries); resolves with every
 * send-to-receive latency in milliseconds, one per message per receiver.
 */
export function runPaced(
  room: BenchRoom,
  count: number,
  perSecond: number,
  timeoutMs: number,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const sentAt = new Float64Array(count);
    const latencies: number[] = [];
    const expected = count * room.receivers;
    const timer = setTimeout(() => reject(new Error(`not done after ${timeoutMs} ms`)), timeoutMs);
    room.onFailure = (why) => {
      clearTimeout(timer);
      reject(new Error(why));
    };
    room.onReceive = (_receiver, first, n) => {
      const now = performance.now();
      for (let i = first; i < first + n; i++) latencies.push(now - sentAt[i]);
      if (latencies.length === expected) {
        clearTimeout(timer);
        resolve(latencies);
      }
    };
    const start = performance.now();
    let next = 0;
    const tick = () => {
      const due = Math.min(count, Math.floor(((performance.now() - start) * perSecond) / 1000) + 1);
      while (next < due) {
        sentAt[next] = performance.now();
        room.send(next++);
      }
      if (next < count) setTimeout(tick, Math.max(0, start + (next * 1000) / perSecond - performance.now()));
    };
    tick();
  });
}
