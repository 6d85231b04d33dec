import type { ErrorCode } from '../src/lib/protocol/errors';

/** A request the relay refuses; the connection turns it into an ERROR frame with this code, text and ref. */
export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly ref: Uint8Array;
  constructor(code: ErrorCode, message: string, ref: Uint8Array = new Uint8Array(0)) {
    super(message);
    this.name = 'RelayError';
    this.code = code;
    this.ref = ref;
  }
}
