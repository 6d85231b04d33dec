import { expect } from 'vitest';
import { RelayClient, type TestDevice } from './relayClient';
import type { RunningRelay } from './relayProcess';

/** AUTH as `device` on `relay`: the socket if READY, null if refused with too_many_connections and close 4003. */
export async function tryAuth(relay: RunningRelay, device: TestDevice): Promise<RelayClient | null> {
  const client = await RelayClient.connect(relay.wsUrl);
  client.sendFrame(client.authFrame(device));
  const reply = await client.next();
  if (reply.type === 'ready') {
    client.device = device;
    return client;
  }
  if (reply.type !== 'error') throw new Error(`expected ready or error, got ${reply.type}`);
  expect(reply.code).toBe('too_many_connections');
  expect((await client.closed).code).toBe(4003);
  return null;
}

/** A slot is free once the relay that held it has released it (or it lapsed): try until AUTH succeeds. */
export async function authOnceFree(
  relay: RunningRelay,
  device: TestDevice,
  attempts = 200,
): Promise<RelayClient> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const client = await tryAuth(relay, device);
    if (client) return client;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no slot freed');
}
