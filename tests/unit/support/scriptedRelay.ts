import * as Y from 'yjs';
import { encodeFrame, type Frame } from '$lib/protocol/frames';
import { sealUpdate, type SealInput } from '$lib/sync/envelopeSeal';
import type { Keyring } from '$lib/sync/keyring';
import { RelayConnection } from '$lib/sync/relayConnection';

/** A socket the test plays the relay on: whatever it "receives" is handed to the connection as from the relay. */
export class ScriptedSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static last: ScriptedSocket | null = null;
  readyState = ScriptedSocket.OPEN;
  binaryType = 'arraybuffer';
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    ScriptedSocket.last = this;
  }
  send(): void {}
  close(): void {
    this.readyState = ScriptedSocket.CLOSED;
  }
  receive(frame: Frame): void {
    const bytes = encodeFrame(frame);
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }
}

/** A started connection for `keyring` whose relay is the returned scripted socket. */
export function scriptedConnection(keyring: Keyring): {
  connection: RelayConnection;
  socket: ScriptedSocket;
} {
  const connection = new RelayConnection('ws://relay.invalid/sync', keyring, ScriptedSocket as never);
  connection.start();
  return { connection, socket: ScriptedSocket.last! };
}

/** Lets the frames a scripted socket received be decoded, applied and stored. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** An envelope by `author` whose update pushes one `text` onto the room's messages. */
export function sealedMessage(input: Omit<SealInput, 'update'> & { text: string }): Uint8Array {
  const { text, ...seal } = input;
  const other = new Y.Doc();
  other.getArray('messages').push([text]);
  return sealUpdate({ ...seal, update: Y.encodeStateAsUpdate(other) }).bytes;
}
