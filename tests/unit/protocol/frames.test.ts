import { describe, expect, it } from 'vitest';
import { ProtocolError, type ErrorCode } from '$lib/protocol/errors';
import {
  decodeFrame,
  encodeFrame,
  FRAME,
  type Delivery,
  type Frame,
  type FrameType,
} from '$lib/protocol/frames';
import {
  MAX_ENVELOPE_BYTES,
  MAX_ERROR_TEXT_CHARS,
  MAX_FRAME_BYTES,
  MAX_INVITE_BOX_BYTES,
  PROTOCOL_VERSION,
  ROOM_ID_BYTES,
} from '$lib/protocol/limits';
import { ByteWriter } from '$lib/protocol/writer';
import { SAMPLE_FRAMES } from '../support/sampleFrames';

const samples = Object.values(SAMPLE_FRAMES) as Frame[];

/** The ProtocolError code `decode` throws; fails the test if it returns or throws anything else. */
function decodeErrorCode(bytes: Uint8Array): ErrorCode {
  try {
    decodeFrame(bytes);
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw new Error(`decodeFrame threw a non-ProtocolError: ${String(error)}`, { cause: error });
  }
  throw new Error('decodeFrame accepted bytes it should have refused');
}

/** A frame header (version, type) followed by the given body, for hand-built frames. */
function frameWith(type: FrameType, body: (w: ByteWriter) => ByteWriter): Uint8Array {
  return body(new ByteWriter().u8(PROTOCOL_VERSION).varUint(FRAME[type])).finish();
}

describe('frame encoding', () => {
  it('has a sample for every frame type, so each one is round-tripped below', () => {
    expect(Object.keys(SAMPLE_FRAMES).sort()).toEqual(Object.keys(FRAME).sort());
  });

  it.each(samples.map((frame) => [frame.type, frame] as const))('round-trips a %s frame', (_type, frame) => {
    const bytes = encodeFrame(frame);
    expect(bytes[0]).toBe(PROTOCOL_VERSION);
    expect(decodeFrame(bytes)).toEqual(frame);
  });

  it('round-trips empty lists and empty byte fields', () => {
    const room = new Uint8Array(ROOM_ID_BYTES).fill(7);
    const frames: Frame[] = [
      { type: 'deliver', room, deliveries: [] },
      { type: 'members', room, members: [] },
      { type: 'append', envelope: new Uint8Array() },
      { type: 'error', code: 'internal', message: '', ref: new Uint8Array() },
      { type: 'subscribe', room, afterSeq: 0 },
    ];
    for (const frame of frames) expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });

  it('shows an error code from a newer relay as the generic internal error instead of dropping it', () => {
    const bytes = frameWith('error', (w) =>
      w
        .varString('some_future_code')
        .varString('try later')
        .varBytes(new Uint8Array([1, 2])),
    );
    expect(decodeFrame(bytes)).toEqual({
      type: 'error',
      code: 'internal',
      message: 'try later',
      ref: new Uint8Array([1, 2]),
    });
  });
});

describe('frame decoding refuses what it cannot trust', () => {
  it.each(samples.map((frame) => [frame.type, frame] as const))(
    'refuses every truncation of a %s frame with a ProtocolError',
    (_type, frame) => {
      const bytes = encodeFrame(frame);
      for (let length = 0; length < bytes.length; length++) {
        expect(decodeErrorCode(bytes.subarray(0, length)), `prefix of ${length} bytes`).toBe(
          'malformed_frame',
        );
      }
    },
  );

  it.each(samples.map((frame) => [frame.type, frame] as const))(
    'refuses a %s frame with trailing bytes',
    (_type, frame) => {
      const bytes = encodeFrame(frame);
      for (const extra of [[0], [0xff], [1, 2, 3]]) {
        const longer = new Uint8Array([...bytes, ...extra]);
        expect(decodeErrorCode(longer)).toBe('malformed_frame');
      }
    },
  );

  it('refuses an empty frame', () => {
    expect(decodeErrorCode(new Uint8Array())).toBe('malformed_frame');
  });

  it('refuses a frame of a version it does not know, rather than guessing its layout', () => {
    const ready = encodeFrame({ type: 'ready' });
    for (const version of [0, PROTOCOL_VERSION + 1, 0xff]) {
      const other = ready.slice();
      other[0] = version;
      expect(decodeErrorCode(other)).toBe('unknown_version');
    }
  });

  it('refuses a frame type it does not know', () => {
    const highest = Math.max(...Object.values(FRAME));
    for (const type of [0, highest + 1, 127, 128, 2 ** 40]) {
      const bytes = new ByteWriter().u8(PROTOCOL_VERSION).varUint(type).finish();
      expect(decodeErrorCode(bytes), `type ${type}`).toBe('unknown_frame_type');
    }
  });

  it('refuses a frame over MAX_FRAME_BYTES before reading it', () => {
    const bytes = new Uint8Array(MAX_FRAME_BYTES + 1);
    bytes.set(encodeFrame({ type: 'ready' }));
    expect(decodeErrorCode(bytes)).toBe('frame_too_large');
  });

  it('reads a frame of exactly MAX_FRAME_BYTES', () => {
    // One envelope may not be that large, so fill a deliver frame with the largest envelopes that fit, then
    // size one last envelope so the frame lands on the limit.
    const room = new Uint8Array(ROOM_ID_BYTES);
    const largest = { seq: 1, envelope: new Uint8Array(MAX_ENVELOPE_BYTES) };
    const deliveries: Delivery[] = [];
    const frame: Frame = { type: 'deliver', room, deliveries };
    while (encodeFrame({ ...frame, deliveries: [...deliveries, largest] }).length <= MAX_FRAME_BYTES) {
      deliveries.push(largest);
    }
    let size = MAX_FRAME_BYTES - encodeFrame(frame).length;
    deliveries.push({ seq: 1, envelope: new Uint8Array(size) });
    while (encodeFrame(frame).length > MAX_FRAME_BYTES) {
      deliveries[deliveries.length - 1] = { seq: 1, envelope: new Uint8Array(--size) };
    }
    const bytes = encodeFrame(frame);
    expect(bytes.length).toBe(MAX_FRAME_BYTES);
    expect(decodeFrame(bytes)).toEqual(frame);
  });

  it('refuses an appended envelope over MAX_ENVELOPE_BYTES, and accepts one of exactly that size', () => {
    const atLimit = encodeFrame({ type: 'append', envelope: new Uint8Array(MAX_ENVELOPE_BYTES) });
    expect(decodeFrame(atLimit)).toEqual({ type: 'append', envelope: new Uint8Array(MAX_ENVELOPE_BYTES) });
    const over = encodeFrame({ type: 'append', envelope: new Uint8Array(MAX_ENVELOPE_BYTES + 1) });
    expect(over.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(decodeErrorCode(over)).toBe('envelope_too_large');
  });

  it('refuses a delivered envelope over MAX_ENVELOPE_BYTES', () => {
    const over = encodeFrame({
      type: 'deliver',
      room: new Uint8Array(ROOM_ID_BYTES),
      deliveries: [{ seq: 1, envelope: new Uint8Array(MAX_ENVELOPE_BYTES + 1) }],
    });
    expect(decodeErrorCode(over)).toBe('envelope_too_large');
  });

  it('refuses a declared envelope length over the limit even when the bytes are not there', () => {
    const bytes = frameWith('append', (w) => w.varUint(MAX_ENVELOPE_BYTES + 1));
    expect(decodeErrorCode(bytes)).toBe('envelope_too_large');
  });

  it('refuses an invite box over MAX_INVITE_BOX_BYTES', () => {
    const sample = SAMPLE_FRAMES.putInvite;
    const over = encodeFrame({ ...sample, box: new Uint8Array(MAX_INVITE_BOX_BYTES + 1) });
    expect(decodeErrorCode(over)).toBe('invite_too_large');
    const atLimit = { ...sample, box: new Uint8Array(MAX_INVITE_BOX_BYTES) };
    expect(decodeFrame(encodeFrame(atLimit))).toEqual(atLimit);
  });

  it('refuses an error text longer than MAX_ERROR_TEXT_CHARS', () => {
    const long = frameWith('error', (w) =>
      w
        .varString('internal')
        .varString('x'.repeat(MAX_ERROR_TEXT_CHARS + 1))
        .varBytes(new Uint8Array()),
    );
    expect(decodeErrorCode(long)).toBe('malformed_frame');
  });

  it('refuses an error text that is not valid UTF-8', () => {
    const bytes = frameWith('error', (w) =>
      w
        .varString('internal')
        .varBytes(new Uint8Array([0xc3, 0x28]))
        .varBytes(new Uint8Array()),
    );
    expect(decodeErrorCode(bytes)).toBe('malformed_frame');
  });

  it('refuses a member whose proof is longer than a signature', () => {
    const bytes = frameWith('members', (w) =>
      w
        .fixed(new Uint8Array(ROOM_ID_BYTES))
        .varUint(1)
        .fixed(new Uint8Array(64))
        .varBytes(new Uint8Array(65))
        .varBytes(new Uint8Array()),
    );
    expect(decodeErrorCode(bytes)).toBe('malformed_frame');
  });

  it('refuses a list count beyond what any frame may carry without allocating for it', () => {
    const bytes = frameWith('deliver', (w) => w.fixed(new Uint8Array(ROOM_ID_BYTES)).varUint(2 ** 40));
    expect(decodeErrorCode(bytes)).toBe('malformed_frame');
  });

  it('refuses an overlong varuint', () => {
    // Nine continuation bytes: longer than any 53-bit number needs.
    const endless = new Uint8Array([PROTOCOL_VERSION, ...new Array(9).fill(0x80), 0x01]);
    expect(decodeErrorCode(endless)).toBe('malformed_frame');
    // A small number padded with continuation bytes past eight bytes is refused too, not read as 3.
    const padded = new Uint8Array([PROTOCOL_VERSION, 0x83, ...new Array(8).fill(0x80), 0x00]);
    expect(decodeErrorCode(padded)).toBe('malformed_frame');
    // Eight bytes whose value is past Number.MAX_SAFE_INTEGER.
    const unsafe = new Uint8Array([PROTOCOL_VERSION, ...new Array(7).fill(0xff), 0x7f]);
    expect(decodeErrorCode(unsafe)).toBe('malformed_frame');
    // The same, in a field after the type.
    const seq = frameWith('ack', (w) => w.fixed(new Uint8Array(ROOM_ID_BYTES + 16)));
    expect(decodeErrorCode(new Uint8Array([...seq, ...new Array(9).fill(0xff), 0x01]))).toBe(
      'malformed_frame',
    );
  });

  it('reads the largest safe integer in a varuint', () => {
    const frame: Frame = {
      type: 'caughtUp',
      room: new Uint8Array(ROOM_ID_BYTES),
      headSeq: Number.MAX_SAFE_INTEGER,
    };
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });
});
