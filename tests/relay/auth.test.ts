import sodium from 'libsodium-wrappers-sumo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import { CHALLENGE_BYTES } from '../../src/lib/protocol/limits';
import { authSignedBytes, withDomain } from '../../src/lib/protocol/signedPayloads';
import { makeDevice, makeSigner, randomRoom, RelayClient } from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

describe('@relay device authentication', () => {
  it('sends a 32-byte challenge on connect and READY for a valid signature over it', async () => {
    const client = await RelayClient.connect(relay.wsUrl);
    expect(client.challenge).toHaveLength(CHALLENGE_BYTES);
    await client.auth(makeDevice());
    client.close();
  });

  it('accepts a device that signs with libsodium, as the browser client does', async () => {
    await sodium.ready;
    const keys = sodium.crypto_sign_keypair();
    const device = {
      publicKey: keys.publicKey,
      boxPublic: sodium.crypto_box_keypair().publicKey,
      sign: (message: Uint8Array) => sodium.crypto_sign_detached(message, keys.privateKey),
    };
    const client = await RelayClient.connect(relay.wsUrl);
    await client.auth(device);
    client.close();
  });

  it('answers a signature by another key with auth_failed and closes with 4001', async () => {
    const client = await RelayClient.connect(relay.wsUrl);
    client.sendFrame(client.authFrame(makeDevice(), makeSigner()));
    expect((await client.expectError()).code).toBe('auth_failed');
    expect((await client.closed).code).toBe(4001);
  });

  it('refuses a signature made for another challenge', async () => {
    const device = makeDevice();
    const client = await RelayClient.connect(relay.wsUrl);
    const stale = withDomain(
      SIGN_DOMAIN.auth,
      authSignedBytes(new Uint8Array(CHALLENGE_BYTES), device.publicKey, device.boxPublic),
    );
    client.sendFrame({
      type: 'auth',
      signPublic: device.publicKey,
      boxPublic: device.boxPublic,
      signature: device.sign(stale),
    });
    expect((await client.expectError()).code).toBe('auth_failed');
    expect((await client.closed).code).toBe(4001);
  });

  it('answers frames before AUTH with not_authenticated and keeps the socket for a later AUTH', async () => {
    const client = await RelayClient.connect(relay.wsUrl);
    client.sendFrame({ type: 'createRoom', room: randomRoom() });
    client.sendFrame({ type: 'subscribe', room: randomRoom(), afterSeq: 0 });
    expect((await client.expectError()).code).toBe('not_authenticated');
    expect((await client.expectError()).code).toBe('not_authenticated');
    await client.auth(makeDevice());
    await client.createRoom();
    client.close();
  });

  it('answers a second AUTH with already_authenticated', async () => {
    const device = makeDevice();
    const client = await RelayClient.connectAs(relay.wsUrl, device);
    client.sendFrame(client.authFrame(device));
    expect((await client.expectError()).code).toBe('already_authenticated');
    await client.createRoom();
    client.close();
  });
});

describe('@relay auth timeout', () => {
  let quick: RunningRelay;
  beforeAll(async () => {
    quick = await startRelay({ env: { AUTH_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await quick.stop();
    quick.removeData();
  });

  it('closes a socket that does not authenticate in time with 4002', async () => {
    const client = await RelayClient.connect(quick.wsUrl);
    expect((await client.closed).code).toBe(4002);
  });
});
