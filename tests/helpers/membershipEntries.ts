import { createHash } from 'node:crypto';
import { SIGN_DOMAIN } from '../../src/lib/protocol/domains';
import { encodeKeyBundle, encodeKeyBundleBody } from '../../src/lib/protocol/keyBundle';
import { SEALED_ROOM_KEY_BYTES } from '../../src/lib/protocol/limits';
import {
  encodeMembershipBody,
  encodeMembershipEntry,
  MEMBERSHIP_HASH_BYTES,
  type MembershipKind,
} from '../../src/lib/protocol/membership';
import { withDomain } from '../../src/lib/protocol/signedPayloads';
import { randomBytesOf, type Signer, type TestDevice } from './relayClient';

/** Builds a room's membership log entry by entry, each on the last one's hash, signed as a device would. */
export class LogWriter {
  index = 0;
  head: Uint8Array = new Uint8Array(MEMBERSHIP_HASH_BYTES);

  constructor(readonly room: Uint8Array) {}

  /** The next entry, signed by `author` (or by `signer`, to forge); `advance` moves the head past it. */
  entry(
    kind: MembershipKind,
    author: TestDevice,
    subject: TestDevice,
    options: { signer?: Signer; advance?: boolean } = {},
  ): Uint8Array {
    const fields = {
      room: this.room,
      index: this.index,
      prev: this.head,
      kind,
      subjectSign: subject.publicKey,
      subjectBox: subject.boxPublic,
      author: author.publicKey,
      at: Date.now(),
    };
    const signer = options.signer ?? author;
    const signature = signer.sign(withDomain(SIGN_DOMAIN.membership, encodeMembershipBody(fields)));
    const bytes = encodeMembershipEntry({ ...fields, signature });
    if (options.advance ?? true) this.accepted(bytes);
    return bytes;
  }

  /** Move the head past an entry the relay took. */
  accepted(bytes: Uint8Array): void {
    this.index++;
    this.head = new Uint8Array(createHash('sha256').update(bytes).digest());
  }
}

/** A key bundle for `epoch` filed by `signer`, with a (random, the relay cannot tell) sealed key per recipient. */
export function keyBundle(
  signer: TestDevice,
  room: Uint8Array,
  epoch: number,
  recipients: TestDevice[],
): Uint8Array {
  const body = {
    room,
    epoch,
    signer: signer.publicKey,
    history: randomBytesOf(60),
    shares: recipients.map((r) => ({
      identity: r.publicKey,
      boxPublic: r.boxPublic,
      sealedKey: randomBytesOf(SEALED_ROOM_KEY_BYTES),
    })),
  };
  const signature = signer.sign(withDomain(SIGN_DOMAIN.keyBundle, encodeKeyBundleBody(body)));
  return encodeKeyBundle({ ...body, signature });
}
