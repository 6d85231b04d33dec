import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { BenchRoom, CatchUp, RelaySide } from './workloads';

const SETUP_CONCURRENCY = 64;
const SYNC_TIMEOUT_MS = 30_000;
const ARRAY_NAME = 'messages';

/** ws, counting the message bytes it receives (the provider reads them through onmessage). */
class CountingWebSocket extends WebSocket {
  received = 0;

  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols);
    this.on('message', (data: Buffer | ArrayBuffer) => (this.received += data.byteLength));
  }
}

/** One y-websocket client: a Y.Doc synced through a WebsocketProvider, as an app using the reference would run. */
interface YClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
}

/**
 * The reference's side: a Y.Doc per client over the y-websocket protocol (sync + awareness, as the provider speaks
 * it). The sender pushes `payloadBytes`-character ASCII strings into a Y.Array; a message counts as received when a
 * receiver's doc observes it. No auth: the reference has none.
 */
export class ReferenceSide implements RelaySide {
  constructor(private readonly wsUrl: string) {
    // Every provider adds a process 'exit' listener: thousands of them are expected here, not a leak.
    process.setMaxListeners(0);
  }

  async openRoom(receivers: number, messages: number, payloadBytes: number): Promise<ReferenceRoom> {
    const name = randomBytes(16).toString('hex');
    const clients = await Promise.all(Array.from({ length: receivers + 1 }, () => this.connect(name)));
    // base64 of n bytes is 4n/3 ASCII characters: payloadBytes characters are payloadBytes bytes in UTF-8.
    const payloads = Array.from({ length: messages }, () =>
      randomBytes(Math.ceil((payloadBytes * 3) / 4))
        .toString('base64')
        .slice(0, payloadBytes),
    );
    return new ReferenceRoom(name, clients[0], clients.slice(1), payloads);
  }

  async openIdle(count: number): Promise<{ close(): Promise<void> }> {
    const clients: YClient[] = [];
    for (let done = 0; done < count; done += SETUP_CONCURRENCY) {
      const batch = Math.min(SETUP_CONCURRENCY, count - done);
      // Rooms of two, as on Hearth's side.
      const names = Array.from({ length: Math.ceil(batch / 2) }, () => randomBytes(16).toString('hex'));
      clients.push(
        ...(await Promise.all(Array.from({ length: batch }, (_, i) => this.connect(names[i >> 1])))),
      );
    }
    return { close: async () => closeAll(clients) };
  }

  async catchUp(benchRoom: BenchRoom): Promise<CatchUp> {
    const room = benchRoom as ReferenceRoom;
    const doc = new Y.Doc();
    const provider = this.provider(room.name, doc);
    let start = 0;
    provider.on('status', ({ status }) => {
      if (status === 'connected') start = performance.now();
    });
    await synced(provider);
    const ms = performance.now() - start;
    const wireBytes = (provider.ws as unknown as CountingWebSocket).received;
    const items = doc.getArray<string>(ARRAY_NAME).toArray();
    const payloadBytes = items.reduce((sum, item) => sum + Buffer.byteLength(item), 0);
    await closeAll([{ doc, provider }]);
    return { ms, wireBytes, payloadBytes, messages: items.length };
  }

  private async connect(name: string): Promise<YClient> {
    const doc = new Y.Doc();
    const provider = this.provider(name, doc);
    await synced(provider);
    return { doc, provider };
  }

  private provider(name: string, doc: Y.Doc): WebsocketProvider {
    return new WebsocketProvider(this.wsUrl, name, doc, {
      WebSocketPolyfill: CountingWebSocket as unknown as typeof globalThis.WebSocket,
      // Node has BroadcastChannel: without this, clients in one process would sync around the server.
      disableBc: true,
    });
  }
}

class ReferenceRoom implements BenchRoom {
  readonly receivers: number;
  onReceive: (receiver: number, first: number, count: number) => void = () => {};
  onFailure: (why: string) => void = () => {};
  private readonly array: Y.Array<string>;
  private closing = false;

  constructor(
    readonly name: string,
    private readonly sender: YClient,
    private readonly guests: YClient[],
    private readonly payloads: string[],
  ) {
    this.receivers = guests.length;
    this.array = sender.doc.getArray<string>(ARRAY_NAME);
    guests.forEach((guest, receiver) => {
      const array = guest.doc.getArray<string>(ARRAY_NAME);
      let seen = 0;
      array.observe(() => {
        const first = seen;
        seen = array.length;
        this.onReceive(receiver, first, seen - first);
      });
    });
    for (const client of [sender, ...guests]) {
      client.provider.on('connection-close', () => {
        if (!this.closing) this.onFailure('the reference closed a socket');
      });
    }
  }

  send(index: number): void {
    this.array.push([this.payloads[index]]);
  }

  async close(): Promise<void> {
    this.closing = true;
    await closeAll([this.sender, ...this.guests]);
  }
}

function synced(provider: WebsocketProvider): Promise<void> {
  if (provider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('y-websocket did not sync')), SYNC_TIMEOUT_MS);
    const onSync = (state: boolean) => {
      if (!state) return;
      clearTimeout(timer);
      provider.off('sync', onSync);
      resolve();
    };
    provider.on('sync', onSync);
  });
}

async function closeAll(clients: YClient[]): Promise<void> {
  const closed = clients.map(({ provider }) => {
    const ws = provider.ws as unknown as WebSocket | null;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => ws.once('close', () => resolve()));
  });
  for (const { doc, provider } of clients) {
    provider.destroy();
    doc.destroy();
  }
  await Promise.all(closed);
}
