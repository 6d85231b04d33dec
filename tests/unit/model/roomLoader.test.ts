import { describe, expect, it } from 'vitest';
import { RoomLoader } from '$lib/model/roomLoader';
import type { RoomRecord } from '$lib/model/schemas';

const record = (room: string): RoomRecord => ({
  room: room.repeat(32),
  epoch: 0,
  keys: {},
  creator: '',
  inviteSecrets: [],
  createdAt: 0,
  label: '',
  inviteLink: '',
  log: [],
  pendingMembership: [],
});

/** A loader whose rooms each take until the test lets them finish, recording when each starts and ends. */
function controlledLoader() {
  const events: string[] = [];
  const pending = new Map<string, () => void>();
  let idle = 0;
  const loader = new RoomLoader<string>(
    (r) =>
      new Promise<string>((resolve) => {
        const name = r.room[0];
        events.push(`start ${name}`);
        pending.set(name, () => {
          events.push(`end ${name}`);
          resolve(name);
        });
      }),
    () => idle++,
  );
  /** Let room `name` finish loading once it has started. */
  const finish = async (name: string) => {
    await until(() => pending.has(name));
    pending.get(name)?.();
    pending.delete(name);
  };
  return { loader, events, finish, idle: () => idle };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error('timed out');
}

describe('loading rooms behind the conversations list', () => {
  it('loads them one at a time, in the order given, and says when all are loaded', async () => {
    const { loader, events, finish, idle } = controlledLoader();
    loader.enqueue([record('a'), record('b'), record('c')]);
    expect(loader.busy).toBe(true);
    await finish('a');
    expect(events).toEqual(['start a', 'end a']);
    await finish('b');
    await finish('c');
    await loader.whenIdle();
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(loader.busy).toBe(false);
    expect(idle()).toBe(1);
  });

  it('loads a room someone opens ahead of the queue, and holds the background until it is open', async () => {
    const { loader, events, finish } = controlledLoader();
    loader.enqueue([record('a'), record('b'), record('c')]);
    await until(() => events.includes('start a'));
    const opened = loader.load('c'.repeat(32));
    await until(() => events.includes('start c'));
    await finish('a');
    // The background does not start b while c, which someone is waiting for, is still loading.
    await new Promise((r) => setTimeout(r, 50));
    expect(events).not.toContain('start b');
    await finish('c');
    expect(await opened).toBe('c');
    await finish('b');
    await loader.whenIdle();
    expect(events.filter((e) => e.startsWith('start'))).toEqual(['start a', 'start c', 'start b']);
  });

  it('loads each room once, however often it is asked for', async () => {
    const { loader, events, finish } = controlledLoader();
    loader.enqueue([record('a')]);
    const first = loader.load('a'.repeat(32));
    const second = loader.load('a'.repeat(32));
    await finish('a');
    expect(await first).toBe('a');
    expect(await second).toBe('a');
    await loader.whenIdle();
    expect(events).toEqual(['start a', 'end a']);
  });

  it('refuses a room it does not have, and loads nothing more once stopped', async () => {
    const { loader, events, finish } = controlledLoader();
    await expect(loader.load('z'.repeat(32))).rejects.toThrow('not on this device');
    loader.enqueue([record('a'), record('b')]);
    await until(() => events.includes('start a'));
    loader.stop();
    await finish('a');
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['start a', 'end a']);
  });
});
