import { newSymmetricKey } from '../crypto';
import { bytesEqual, fromHex, toHex } from '../protocol/hex';
import type { Keyring } from './keyring';
import { makeKeyBundle, openKeyBundle, peekKeyBundle, type KeyRecipient } from './keyBundles';
import { membersAtEpoch, type MembershipState } from './membership';
import type { RelayConnection } from './relayConnection';
import type { RoomSync } from './roomSync';

/** How long a member who is not the manager waits for the manager's device to file a new epoch's key. */
export const ROTATE_DELAY_MS = 4_000;

export interface RoomKeysOptions {
  connection: RelayConnection;
  keyring: Keyring;
  room: Uint8Array;
  /** Shared with RoomSync: adopted keys are added here once stored. */
  keys: Map<number, Uint8Array>;
  /** Keep every key (the room's record), before they are used. */
  saveKeys(keys: Map<number, Uint8Array>): Promise<void>;
  /** The membership log's state, and whether it is the relay's current one on this connection. */
  membership(): { state: MembershipState; fresh: boolean };
}

/**
 * A room's key epochs on this device: adopt the key bundles the relay sends (signed by a device of someone who
 * belonged in that epoch, with a share for this device), and file one when the log is in an epoch the relay has no
 * key for: the manager's device at once, any other member's after `ROTATE_DELAY_MS`; the relay keeps the first per
 * epoch. Nothing is sealed under a key before the relay has kept its bundle and sent it back.
 */
export class RoomKeys {
  private sync: RoomSync | null = null;
  /** Highest epoch the relay has a key bundle for, as far as this connection has seen. */
  private bundleEpoch = -1;
  /** The epoch this device filed a bundle for and waits to see kept. */
  private filedEpoch = -1;
  private rotateTimer: ReturnType<typeof setTimeout> | null = null;
  /** The epoch the running rotate timer waits to file a key for. */
  private rotateTimerEpoch = -1;
  private readonly me: string;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: RoomKeysOptions) {
    this.me = toHex(opts.keyring.identity.signPublic);
  }

  attach(sync: RoomSync): void {
    this.sync = sync;
  }

  stop(): void {
    if (this.rotateTimer) clearTimeout(this.rotateTimer);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A new connection: what the relay holds is learnt again from its subscription. */
  reconnected(): void {
    this.bundleEpoch = -1;
    this.filedEpoch = -1;
  }

  /** A KEY_BUNDLE frame: adopted in order with the room's inbound work, so before the envelopes that need it. */
  receive(bytes: Uint8Array): void {
    const peeked = peekKeyBundle(bytes);
    if (!peeked || !bytesEqual(peeked.room, this.opts.room)) return;
    this.bundleEpoch = Math.max(this.bundleEpoch, peeked.epoch);
    this.sync?.runInOrder(() => this.adoptBundle(bytes));
  }

  /** The relay kept another member's key first, or the room moved on: its KEY_BUNDLE comes, or a later epoch is due. */
  refused(): void {
    this.filedEpoch = -1;
    this.maybeRotate();
  }

  /** The relay put the bundle off (rate limit, storage, restart): file it again when asked next. */
  putOff(): void {
    this.filedEpoch = -1;
  }

  private get state(): MembershipState {
    return this.opts.membership().state;
  }

  /**
   * The log is in an epoch the relay has no key for: the manager's device files one at once, any other member's
   * after a delay (the relay keeps the first). Epoch 0's key already exists (the starter made it with the room).
   */
  maybeRotate(): void {
    const epoch = this.state.epoch;
    if (!this.needsBundle(epoch)) return;
    if (this.state.manager === this.me) {
      this.fileBundle(epoch);
      return;
    }
    if (this.rotateTimer && this.rotateTimerEpoch === epoch) return;
    if (this.rotateTimer) clearTimeout(this.rotateTimer);
    this.rotateTimerEpoch = epoch;
    this.rotateTimer = setTimeout(() => {
      this.rotateTimer = null;
      if (this.needsBundle(epoch)) this.fileBundle(epoch);
    }, ROTATE_DELAY_MS);
  }

  private needsBundle(epoch: number): boolean {
    return (
      this.opts.membership().fresh &&
      this.state.length > 0 &&
      this.state.epoch === epoch &&
      this.state.members.has(this.me) &&
      this.bundleEpoch < epoch &&
      this.filedEpoch < epoch &&
      this.opts.connection.status === 'online'
    );
  }

  private fileBundle(epoch: number): void {
    const { keyring, keys, room, connection } = this.opts;
    const key = keys.get(epoch) ?? newSymmetricKey();
    const earlier = new Map([...keys].filter(([e]) => e < epoch));
    const recipients: KeyRecipient[] = [];
    for (const [identity, boxPublic] of this.state.members) {
      recipients.push({ identity: fromHex(identity), boxPublic });
      for (const box of this.sync?.linkedBoxKeys(identity) ?? []) {
        recipients.push({ identity: fromHex(identity), boxPublic: box });
      }
    }
    const bundle = makeKeyBundle({ room, epoch, signer: keyring, key, earlier, recipients });
    if (connection.send({ type: 'putKeyBundle', bundle })) this.filedEpoch = epoch;
  }

  /**
   * A key bundle from the relay: signed by a device of someone who belonged in its epoch, with a share for this
   * device. Its keys are stored in the room's record, then used (database first).
   */
  private async adoptBundle(bytes: Uint8Array): Promise<void> {
    const { keyring, keys, room } = this.opts;
    const opened = openKeyBundle(bytes, room, keyring);
    if (!opened.ok) return; // not sealed to this device (not yet a member of the log), or not a bundle at all
    const signer = this.sync?.deviceIdentity(toHex(opened.signer)) ?? null;
    if (!signer || !membersAtEpoch(this.state, opened.epoch).has(signer)) {
      console.warn('hearth: refused a room key from someone who did not belong to the conversation then');
      return;
    }
    const merged = new Map(keys);
    for (const [epoch, key] of opened.keys) if (!merged.has(epoch)) merged.set(epoch, key);
    if (merged.size === keys.size) return;
    await this.opts.saveKeys(merged);
    for (const [epoch, key] of merged) keys.set(epoch, key);
    this.sync?.keysChanged();
    for (const listener of [...this.listeners]) listener();
  }
}
