import { backgroundTurn } from '../sync';
import type { RoomRecord } from './schemas';

/**
 * Opens a device's rooms one at a time behind the conversations list, in the order given, starting once the list
 * has had a chance to paint and giving the page a turn between rooms so it stays responsive. A room someone opens
 * jumps the queue, and the background waits while it loads.
 */
export class RoomLoader<T> {
  private readonly records = new Map<string, RoomRecord>();
  private readonly queue: string[] = [];
  private readonly loads = new Map<string, Promise<T>>();
  private readonly urgent = new Set<Promise<unknown>>();
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly open: (record: RoomRecord) => Promise<T>,
    /** Called each time the background queue runs empty. */
    private readonly onIdle: () => void,
  ) {}

  /** Rooms to load in the background, in this order. */
  enqueue(records: RoomRecord[]): void {
    for (const record of records) {
      if (this.records.has(record.room)) continue;
      this.records.set(record.room, record);
      this.queue.push(record.room);
    }
    void this.run();
  }

  has(room: string): boolean {
    return this.records.has(room);
  }

  record(room: string): RoomRecord | undefined {
    return this.records.get(room);
  }

  all(): RoomRecord[] {
    return [...this.records.values()];
  }

  /** True while rooms are still waiting or loading. */
  get busy(): boolean {
    return this.running || this.urgent.size > 0;
  }

  /** Load a room now, ahead of the queue (a new room is added first). Resolves once it is open. */
  load(roomOrRecord: string | RoomRecord): Promise<T> {
    const record =
      typeof roomOrRecord === 'string'
        ? this.records.get(roomOrRecord)
        : (this.records.get(roomOrRecord.room) ?? roomOrRecord);
    if (!record) return Promise.reject(new Error('This conversation is not on this device.'));
    this.records.set(record.room, record);
    const existing = this.loads.get(record.room);
    if (existing) return existing;
    const loading = this.start(record);
    const settled = loading.then(
      () => undefined,
      () => undefined,
    );
    this.urgent.add(settled);
    void settled.then(() => {
      this.urgent.delete(settled);
      this.notifyIfIdle();
    });
    return loading;
  }

  /** Resolves once every room known now has been loaded (or failed to). */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Load nothing more (the session is closing); what is loading finishes on its own. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private start(record: RoomRecord): Promise<T> {
    const loading = this.open(record);
    this.loads.set(record.room, loading);
    // A room that failed to open may be tried again when someone opens it.
    loading.catch(() => this.loads.delete(record.room));
    return loading;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await afterPaint();
    while (!this.stopped && this.queue.length > 0) {
      // Someone is waiting for a room they opened: it gets the device to itself.
      while (this.urgent.size > 0) await Promise.all(this.urgent);
      const room = this.queue.shift() as string;
      const record = this.records.get(room);
      if (!record || this.loads.has(room)) continue;
      try {
        await this.start(record);
      } catch (error) {
        // The room stays in the list; opening it tries again and says what went wrong.
        console.error('hearth: could not load a conversation', error instanceof Error ? error.name : error);
      }
      await backgroundTurn();
    }
    this.running = false;
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.busy || this.stopped) return;
    this.onIdle();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/** After the next frame is painted, or a moment, whichever is first (frames stop in a hidden tab). */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    if (typeof requestAnimationFrame === 'function') {
      requestAnimationFrame(() =>
        setTimeout(() => {
          clearTimeout(timer);
          resolve();
        }, 0),
      );
    }
  });
}
