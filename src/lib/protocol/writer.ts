import * as encoding from 'lib0/encoding';

/** A thin writer over lib0's encoder, matching `ByteReader` field for field. */
export class ByteWriter {
  private readonly encoder = encoding.createEncoder();

  u8(value: number): this {
    encoding.writeUint8(this.encoder, value);
    return this;
  }

  varUint(value: number): this {
    encoding.writeVarUint(this.encoder, value);
    return this;
  }

  fixed(bytes: Uint8Array): this {
    encoding.writeUint8Array(this.encoder, bytes);
    return this;
  }

  varBytes(bytes: Uint8Array): this {
    encoding.writeVarUint8Array(this.encoder, bytes);
    return this;
  }

  varString(text: string): this {
    encoding.writeVarUint8Array(this.encoder, new TextEncoder().encode(text));
    return this;
  }

  /** lib0 always copies into a fresh ArrayBuffer, so the result is never backed by shared memory. */
  finish(): Uint8Array<ArrayBuffer> {
    return encoding.toUint8Array(this.encoder) as Uint8Array<ArrayBuffer>;
  }
}
