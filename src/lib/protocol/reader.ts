import { ProtocolError } from './errors';

/**
 * A bounds-checked reader over untrusted bytes. Every read that would run past the end, every varuint longer
 * than 53 bits and every length over its cap throws `ProtocolError('malformed_frame')`, so decoders never see
 * `undefined` or a short slice. Varuints are LEB128, as lib0 writes them.
 */
export class ByteReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  u8(): number {
    if (this.pos >= this.bytes.length) throw truncated();
    return this.bytes[this.pos++];
  }

  varUint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      multiplier *= 128;
    }
    throw new ProtocolError('malformed_frame', 'varuint too long');
  }

  fixed(length: number): Uint8Array {
    if (this.remaining < length) throw truncated();
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  varBytes(maxLength: number): Uint8Array {
    const length = this.varUint();
    if (length > maxLength)
      throw new ProtocolError('malformed_frame', `field longer than ${maxLength} bytes`);
    return this.fixed(length);
  }

  varString(maxChars: number): string {
    const raw = this.varBytes(maxChars * 4);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new ProtocolError('malformed_frame', 'string is not valid UTF-8');
    }
    if (text.length > maxChars) throw new ProtocolError('malformed_frame', `string longer than ${maxChars}`);
    return text;
  }

  /** Trailing bytes mean the sender and we disagree about the layout: refuse rather than guess. */
  end(): void {
    if (this.remaining !== 0) throw new ProtocolError('malformed_frame', 'trailing bytes after frame');
  }
}

function truncated(): ProtocolError {
  return new ProtocolError('malformed_frame', 'frame is truncated');
}
