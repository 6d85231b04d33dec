import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/lib/protocol/frames';
import { toHex } from '../../src/lib/protocol/hex';
import { MAX_FRAME_BYTES } from '../../src/lib/protocol/limits';
import {
  claimSignature,
  makeDevice,
  makeEnvelope,
  makeSigner,
  randomBytesOf,
  randomInviteId,
  RelayClient,
} from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;
/** Every byte string the relay handled that must never reach a log line. */
const secrets: Array<{ what: string; bytes: Uint8Array }> = [];
/** The 8-hex-character tags logs may use to follow a device. */
const tags: string[] = [];

beforeAll(async () => {
  relay = await startRelay({ env: { LOG_LEVEL: 'debug' } });
});

afterAll(() => {
  relay.removeData();
});

function keep(what: string, bytes: Uint8Array): Uint8Array {
  secrets.push({ what, bytes });
  return bytes;
}

/** The ways a byte string could be written into a log line. */
function spellings(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes);
  const prefix = buffer.subarray(0, 12);
  return [
    buffer.toString('hex'),
    buffer.toString('hex').toUpperCase(),
    buffer.toString('base64'),
    buffer.toString('base64url'),
    prefix.toString('hex'),
    prefix.toString('base64'),
  ];
}

describe('@relay relay logs', () => {
  it('at debug level carry no content, keys, signatures or invite ids through a normal exchange and bad input', async () => {
    const alice = makeDevice();
    const bob = makeDevice();
    for (const device of [alice, bob]) {
      keep('sign public key', device.publicKey);
      keep('box public key', device.boxPublic);
      tags.push(toHex(device.publicKey.subarray(0, 4)));
    }
    const a = await RelayClient.connectAs(relay.wsUrl, alice);
    keep('auth challenge', a.challenge!);
    const room = await a.createRoom();
    a.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    await a.waitFor('caughtUp');

    const claimKey = makeSigner();
    keep('claim public key', claimKey.publicKey);
    const inviteId = keep('invite id', randomInviteId());
    const box = keep('invite box', randomBytesOf(200));
    a.sendFrame({
      type: 'putInvite',
      room,
      inviteId,
      claimPublic: claimKey.publicKey,
      expiresAt: Date.now() + 60_000,
      box,
    });
    await a.waitFor('inviteStored');

    const b = await RelayClient.connectAs(relay.wsUrl, bob);
    b.sendFrame({ type: 'getInvite', inviteId });
    await b.expect('invite');
    const proof = keep('claim signature', claimSignature(claimKey, inviteId, bob));
    b.sendFrame({ type: 'claimInvite', inviteId, signature: proof });
    await b.expect('claimed');
    await b.subscribe(room);

    for (let clock = 1; clock <= 3; clock++) {
      const ciphertext = keep('ciphertext', randomBytesOf(120));
      const envelope = makeEnvelope({ author: alice, room, clock, ciphertext });
      keep('envelope', envelope.bytes);
      keep('envelope id', envelope.id);
      a.sendFrame({ type: 'append', envelope: envelope.bytes });
      await a.waitFor('ack');
    }

    // Bad input: a forged envelope, another author's envelope, garbage, unknown invites, a failed AUTH, a huge frame.
    const forged = makeEnvelope({ author: bob, room, clock: 1, signWith: makeSigner() });
    keep('forged envelope', forged.bytes);
    b.sendFrame({ type: 'append', envelope: forged.bytes });
    expect((await b.waitFor('error')).code).toBe('bad_signature');
    const stolen = makeEnvelope({ author: alice, room, clock: 4 });
    keep('wrong-author envelope', stolen.bytes);
    b.sendFrame({ type: 'append', envelope: stolen.bytes });
    expect((await b.waitFor('error')).code).toBe('wrong_author');
    const garbage = keep('garbage frame', randomBytesOf(300));
    b.sendRaw(Uint8Array.of(1, 4, ...garbage));
    expect((await b.waitFor('error')).code).toBe('malformed_frame');
    const unknownInvite = keep('unknown invite id', randomInviteId());
    b.sendFrame({ type: 'getInvite', inviteId: unknownInvite });
    expect((await b.waitFor('error')).code).toBe('invite_not_found');
    b.sendFrame({ type: 'claimInvite', inviteId: unknownInvite, signature: randomBytesOf(64) });
    expect((await b.waitFor('error')).code).toBe('invite_not_found');

    const intruder = makeDevice();
    keep('intruder key', intruder.publicKey);
    const failing = await RelayClient.connect(relay.wsUrl);
    const authFrame = failing.authFrame(intruder, makeSigner());
    keep('failed auth frame', encodeFrame(authFrame));
    failing.sendFrame(authFrame);
    expect((await failing.closed).code).toBe(4001);
    const huge = await RelayClient.connect(relay.wsUrl);
    huge.sendRaw(keep('oversized frame', randomBytesOf(MAX_FRAME_BYTES + 1)));
    expect((await huge.closed).code).toBe(1009);

    a.close();
    b.close();
    expect(await relay.stop()).toBe(0);

    const output = relay.output();
    // The logs were captured at debug level and follow devices by their tags.
    expect(output).toContain('"level":20');
    expect(output).toContain(tags[0]);
    for (const { what, bytes } of secrets) {
      for (const spelling of spellings(bytes)) {
        expect(output.includes(spelling), `${what} appears in the logs`).toBe(false);
      }
    }
    // No byte arrays serialized as JSON either.
    expect(output).not.toMatch(/"type":"Buffer"|"data":\[|\{"0":/);
    for (const line of output.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
