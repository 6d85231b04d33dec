import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import { decodeEnvelope, ENVELOPE_KIND } from '../../src/lib/protocol/envelope';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { bytesEqual, toHex } from '../../src/lib/protocol/hex';
import { envelopeSignedParts } from '../../src/lib/protocol/signedPayloads';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import type { AppendOutcome } from '../storage/RelayStorage';

/**
 * APPEND: a well-formed envelope by this device, for a room it is in, is queued for the next group commit, which
 * checks its signature first (off the main thread); ACK(room, id, seq) follows the commit (the stored seq for a
 * retry), or an ERROR naming the rule (bad_signature among them).
 */
export async function handleAppend(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'append'>,
  ctx: RelayContext,
): Promise<void> {
  const arrivedAt = session.frameReceivedAt;
  const { envelope, headerBytes } = decodeEnvelope(frame.envelope);
  const ref = envelope.id;
  if (envelope.kind !== ENVELOPE_KIND.update) {
    throw new RelayError('malformed_frame', 'only updates are appended; a snapshot travels as a blob', ref);
  }
  // Before the signature check: the bucket bounds the relay's verify and commit work, not only what it stores.
  const retryAfterMs = await ctx.deviceLimits.takeEnvelope(device.signPublic);
  if (retryAfterMs > 0) {
    throw new RelayError(
      'rate_limited',
      `over ${ctx.config.rateEnvelopesPerSecond} envelopes per second; retry in ${retryAfterMs} ms`,
      ref,
    );
  }
  if (!bytesEqual(envelope.author, device.signPublic)) {
    throw new RelayError('wrong_author', 'the envelope author is not the authenticated device', ref);
  }
  // A cheap early refusal; the commit checks membership again, so an append racing its author's removal from the
  // room is either stored before the removal or refused. A subscription ends when its identity leaves the room.
  const subscribed = session.subscriptions.has(toHex(envelope.room));
  if (!subscribed && !(await ctx.storage.isMember(envelope.room, device.identity.signPublic))) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', ref);
  }
  const room = envelope.room;
  session.appendStarted();
  ctx.appendQueue.enqueue({
    item: {
      room,
      identity: device.identity.signPublic,
      id: envelope.id,
      author: envelope.author,
      clock: envelope.clock,
      bytes: frame.envelope,
    },
    signature: {
      publicKey: envelope.author,
      message: envelopeSignedParts(SIGN_DOMAIN.update, headerBytes, envelope.ciphertext),
      signature: envelope.signature,
    },
    settle: (outcome: AppendOutcome) => {
      session.appendSettled();
      if (outcome.kind === 'rejected') {
        session.sendError(outcome.code, outcome.message, ref);
        return;
      }
      session.send({ type: 'ack', room, id: envelope.id, seq: outcome.seq });
      session.subscriptions.get(toHex(room))?.noteAcked(outcome.seq);
      if (outcome.kind === 'stored') ctx.metrics.envelopesStored.inc();
      ctx.metrics.appendLatency.observe((performance.now() - arrivedAt) / 1000);
    },
  });
}
