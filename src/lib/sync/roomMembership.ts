import type { Frame, FrameOf, LogEntry } from '../protocol/frames';
import { bytesEqual, fromHex, toHex } from '../protocol/hex';
import type { MembershipKind } from '../protocol/membership';
import type { Keyring } from './keyring';
import {
  applyMembershipEntry,
  emptyMembership,
  extendMembership,
  foldMembership,
  memberStanding,
  type MembershipCrypto,
  type MembershipState,
} from './membership';
import { deviceMembershipCrypto, keptLogCrypto, signMembershipEntry } from './membershipEntries';
import { RoomKeys } from './roomKeys';
import type { RelayConnection } from './relayConnection';
import type { MembershipView, RoomSync } from './roomSync';

/** A membership change made on this device and not yet in the relay's log (shown as pending). */
export interface PendingChange {
  id: string;
  kind: MembershipKind;
  /** Hex identity signing and box keys of the person it is about. */
  subject: string;
  subjectBox: string;
  at: number;
}

/** A change of this device's that was refused, and why, in words. */
export interface MembershipProblem {
  id: string;
  kind: MembershipKind;
  subject: string;
  reason: string;
  at: number;
}

/** Where the room's record keeps what this class changes (sealed, on the device). */
export interface MembershipStore {
  saveLog(log: LogEntry[]): Promise<void>;
  savePending(pending: PendingChange[]): Promise<void>;
  saveKeys(keys: Map<number, Uint8Array>): Promise<void>;
}

export interface RoomMembershipOptions {
  connection: RelayConnection;
  keyring: Keyring;
  room: Uint8Array;
  /** The creator this device knows out of band (from an invite link, or itself); null for a room found by list. */
  creator: Uint8Array | null;
  /** Shared with RoomSync: adopted keys are added here once stored. */
  keys: Map<number, Uint8Array>;
  log: LogEntry[];
  pending: PendingChange[];
  store: MembershipStore;
  /**
   * The key an invite (by invite id, hex) was made to replace: someone rejoining from a new device after losing the
   * old one. The manager removes that key once the new one is in, so a lost phone receives nothing new.
   */
  replacedBy?: (inviteId: string) => string | undefined;
}

/** How long to wait for the relay's newer log after a stale change before signing it again. */
const STALE_RETRY_MS = 1_000;

/**
 * One room's membership on this device: the relay's signed log (kept in the room's record, so it shows offline),
 * this device's queued changes (sent in order when online, each signed against the log's head and rebased when the
 * log moved on), and through `RoomKeys` the key epochs the log calls for.
 */
export class RoomMembership implements MembershipView {
  private stateValue: MembershipState;
  private log: LogEntry[];
  private pendingValue: PendingChange[];
  private problemsValue: MembershipProblem[] = [];
  private refusedLog: string | null = null;
  private sync: RoomSync | null = null;
  /** The log is the relay's current one on this connection (it sent it, or caught up without one). */
  private fresh = false;
  /** The id of the queued change sent and not yet answered. */
  private inFlight: string | null = null;
  private pendingWrites: Promise<void> = Promise.resolve();
  /** A change is being taken off the queue: nothing is sent until it is. */
  private dropping = false;
  /** The room's key epochs: adopting key bundles, and filing one when the log needs it. */
  private readonly roomKeys: RoomKeys;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly me: string;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribers: (() => void)[] = [];

  constructor(private readonly opts: RoomMembershipOptions) {
    this.me = toHex(opts.keyring.identity.signPublic);
    this.log = opts.log;
    this.pendingValue = opts.pending;
    this.stateValue = this.fold(opts.log, keptLogCrypto);
    this.roomKeys = new RoomKeys({
      connection: opts.connection,
      keyring: opts.keyring,
      room: opts.room,
      keys: opts.keys,
      saveKeys: (keys) => opts.store.saveKeys(keys),
      membership: () => ({ state: this.stateValue, fresh: this.fresh }),
    });
    this.roomKeys.onChange(() => this.emit());
  }

  /** The room's sync, for its devices and its ordered inbound queue. */
  attach(sync: RoomSync): void {
    this.sync = sync;
    this.roomKeys.attach(sync);
  }

  start(): void {
    const { connection } = this.opts;
    this.unsubscribers.push(
      connection.onFrame((frame) => this.handleFrame(frame)),
      connection.onReady(() => {
        this.fresh = false;
        this.inFlight = null;
        this.roomKeys.reconnected();
      }),
    );
  }

  stop(): void {
    this.roomKeys.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const off of this.unsubscribers.splice(0)) off();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get state(): MembershipState {
    return this.stateValue;
  }

  /** True once the room has a membership log (rooms from before logs have none until their creator starts one). */
  get hasLog(): boolean {
    return this.stateValue.length > 0;
  }

  get pending(): readonly PendingChange[] {
    return this.pendingValue;
  }

  get problems(): readonly MembershipProblem[] {
    return this.problemsValue;
  }

  /** Why the relay's log could not be read past some entry (a relay that altered it), or null. */
  get logProblem(): string | null {
    return this.refusedLog;
  }

  identities(): Iterable<string> {
    const out = new Set<string>();
    for (const change of this.stateValue.changes) out.add(change.subject).add(change.author);
    return out;
  }

  standing(identity: string, seq: number): 'member' | 'not_a_member' | 'unknown' {
    return memberStanding(this.stateValue, identity, seq);
  }

  membersChanged(): void {
    this.queueAutomaticChanges();
    this.flush();
  }

  holdsWrites(epoch: number): boolean {
    // A room without a log, or where this person is not (yet) a member of it, has no newer key coming.
    if (!this.hasLog || !this.stateValue.members.has(this.me)) return false;
    return !this.fresh || epoch < this.stateValue.epoch;
  }

  /**
   * Queue a change (durably, in the room's record), then send it when the relay is reachable. Membership changes are
   * signed with the identity's key, so only the account's first device makes them.
   */
  async queue(
    kind: MembershipKind,
    subject: { signPublic: Uint8Array; boxPublic: Uint8Array },
  ): Promise<void> {
    if (this.opts.keyring.linked) {
      throw new Error("Conversation changes are made on your account's first device.");
    }
    const change: PendingChange = {
      id: crypto.randomUUID(),
      kind,
      subject: toHex(subject.signPublic),
      subjectBox: toHex(subject.boxPublic),
      at: Date.now(),
    };
    // The same change queued twice (say, twice tapped) goes once.
    const same = (p: PendingChange) => p.kind === change.kind && p.subject === change.subject;
    await this.updatePending((pending) => (pending.some(same) ? pending : [...pending, change]));
    this.flush();
  }

  private handleFrame(frame: Frame): void {
    const { room } = this.opts;
    switch (frame.type) {
      case 'membershipLog':
        if (bytesEqual(frame.room, room)) this.receiveLog(frame);
        return;
      case 'keyBundle':
        this.roomKeys.receive(frame.bundle);
        return;
      case 'caughtUp':
        if (bytesEqual(frame.room, room)) {
          this.fresh = true;
          this.afterLogChange();
        }
        return;
      case 'error':
        if (bytesEqual(frame.ref, room)) this.handleError(frame);
        return;
    }
  }

  /**
   * Entries from the relay: the whole log on each subscription (`from` 0), then each new one. The fold is applied at
   * once, before the envelopes that follow are checked against it; the record is a copy for offline use.
   */
  private receiveLog(frame: FrameOf<'membershipLog'>): void {
    let log: LogEntry[];
    if (frame.from === 0) log = frame.entries;
    else if (frame.from === this.log.length) log = [...this.log, ...frame.entries];
    else return; // not in step with this subscription: the next subscription sends the whole log again
    // Entries this device already holds (checked when they first came) are not checked again; only the rest are.
    const kept = this.problemFree && startsWith(log, this.log) ? this.log.length : 0;
    const { state, problem } = extendMembership(
      kept > 0 ? this.stateValue : emptyMembership(toHex(this.opts.room)),
      log.slice(kept),
      deviceMembershipCrypto,
      this.opts.creator ?? undefined,
    );
    this.log = log;
    this.stateValue = state;
    this.refusedLog = problem ? `entry ${problem.index}: ${problem.message}` : null;
    this.sync?.membershipChanged();
    this.background(this.opts.store.saveLog(log));
    this.fresh = true;
    this.afterLogChange();
  }

  /** True while every entry held folded (so the state stands for the whole log held). */
  private get problemFree(): boolean {
    return this.refusedLog === null && this.stateValue.length === this.log.length;
  }

  private fold(log: LogEntry[], crypto: MembershipCrypto): MembershipState {
    const { state, problem } = foldMembership(
      toHex(this.opts.room),
      log,
      crypto,
      this.opts.creator ?? undefined,
    );
    this.refusedLog = problem ? `entry ${problem.index}: ${problem.message}` : null;
    return state;
  }

  private afterLogChange(): void {
    // A queued change the log now holds was taken (whichever head it was signed on): off the queue, in the record
    // first, and only then is the next change signed, on the new head.
    const taken = this.pendingValue.find((p) => this.inLog(p));
    if (taken) {
      if (this.inFlight === taken.id) this.inFlight = null;
      this.background(this.dequeue(taken.id).then(() => this.afterLogChange()));
      return;
    }
    this.queueAutomaticChanges();
    this.flush();
    this.roomKeys.maybeRotate();
    this.sync?.writesMayResume();
    this.emit();
  }

  /** True if the log holds this device's `change` (same author, kind, subject and time: what it signed). */
  private inLog(change: PendingChange): boolean {
    return this.stateValue.changes.some(
      (c) =>
        c.author === this.me && c.kind === change.kind && c.subject === change.subject && c.at === change.at,
    );
  }

  /**
   * The creator's first device starts the log of a room from before logs, and admits by an explicit `add` each
   * person who joined by one of its invites and whom the log has never named (someone removed stays removed).
   */
  private queueAutomaticChanges(): void {
    const { keyring, creator } = this.opts;
    if (!this.fresh || keyring.linked || !this.sync) return;
    const queued = new Set(this.pendingValue.map((p) => `${p.kind}:${p.subject}`));
    if (!this.hasLog) {
      if (creator && toHex(creator) === this.me && !queued.has(`create:${this.me}`)) {
        this.background(this.queue('create', keyring.identity));
      }
      return;
    }
    if (this.stateValue.manager !== this.me) return;
    const named = new Set(this.identities());
    for (const claimer of this.sync.verifiedClaimers()) {
      const key = toHex(claimer.signPublic);
      if (!named.has(key) && !queued.has(`add:${key}`)) this.background(this.queue('add', claimer));
      const replaced = this.opts.replacedBy?.(toHex(claimer.inviteId));
      const replacedBox = replaced === undefined ? undefined : this.stateValue.members.get(replaced);
      if (replaced && replacedBox && replaced !== this.me && !queued.has(`remove:${replaced}`)) {
        this.background(this.queue('remove', { signPublic: fromHex(replaced), boxPublic: replacedBox }));
      }
    }
  }

  /** Send the first queued change, signed against the log's head; drop (with a reason) one the log no longer allows. */
  private flush(): void {
    const { connection, keyring, room } = this.opts;
    while (
      this.fresh &&
      !this.inFlight &&
      !this.dropping &&
      connection.status === 'online' &&
      this.pendingValue.length > 0
    ) {
      const change = this.pendingValue[0];
      if (change.kind === 'create' && this.stateValue.changes[0]?.author === this.me) {
        // This device started the log already (queued twice: by the conversation's start and by itself): done.
        this.background(this.dequeue(change.id).then(() => this.flush()));
        return;
      }
      const bytes = signMembershipEntry(
        {
          room,
          index: this.stateValue.length,
          prev: this.stateValue.head,
          kind: change.kind,
          subjectSign: fromHex(change.subject),
          subjectBox: fromHex(change.subjectBox),
          author: keyring.identity.signPublic,
          at: change.at,
        },
        keyring.signSecret,
      );
      const check = applyMembershipEntry(
        this.stateValue,
        bytes,
        0,
        deviceMembershipCrypto,
        this.opts.creator ?? undefined,
      );
      if (!check.ok) {
        // Dropped once the record says so; then the next change goes.
        this.background(this.refuse(change, check.message).then(() => this.flush()));
        return;
      }
      if (!connection.send({ type: 'membershipChange', entry: bytes })) return;
      this.inFlight = change.id;
    }
  }

  private handleError(frame: FrameOf<'error'>): void {
    const inFlight = this.inFlight;
    switch (frame.code) {
      case 'membership_stale':
        // The log moved on (another change got there first): the new entries are on their way; sign again then.
        this.inFlight = null;
        this.scheduleRetry();
        return;
      case 'membership_forbidden':
      case 'bad_signature':
      case 'malformed_frame':
      case 'not_a_member': {
        if (!inFlight) return;
        this.inFlight = null;
        const change = this.pendingValue.find((p) => p.id === inFlight);
        if (change) this.background(this.refuse(change, frame.message).then(() => this.flush()));
        return;
      }
      case 'key_bundle_conflict':
      case 'epoch_stale':
      case 'key_bundle_invalid':
        this.roomKeys.refused();
        return;
      case 'rate_limited':
      case 'storage_failed':
      case 'shutting_down':
        // Not refused, only not done: try the change (and the key, if one was being filed) again shortly.
        this.inFlight = null;
        this.roomKeys.putOff();
        this.scheduleRetry();
        return;
    }
  }

  private async refuse(change: PendingChange, reason: string): Promise<void> {
    await this.dequeue(change.id);
    this.problemsValue = [...this.problemsValue, { ...change, reason }];
    this.emit();
  }

  /** Take a change off the queue (taken by the relay, or refused); nothing else is sent until the record says so. */
  private async dequeue(id: string): Promise<void> {
    this.dropping = true;
    try {
      await this.updatePending((pending) => pending.filter((p) => p.id !== id));
    } finally {
      this.dropping = false;
    }
  }

  /** Work nobody waits for: a failure (the store closed under it, say) is reported, never left unhandled. */
  private background(work: Promise<void>): void {
    work.catch((error) => console.warn('hearth: a membership step failed', error));
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.flush();
      this.roomKeys.maybeRotate();
    }, STALE_RETRY_MS);
  }

  /**
   * Change the queue from its latest value, one change at a time (a change queued while another is being taken off
   * must not be lost), database first: the record holds the list before this device acts on it.
   */
  private updatePending(change: (pending: PendingChange[]) => PendingChange[]): Promise<void> {
    const run = this.pendingWrites.then(async () => {
      const next = change(this.pendingValue);
      await this.opts.store.savePending(next);
      this.pendingValue = next;
      this.emit();
    });
    this.pendingWrites = run.catch(() => undefined);
    return run;
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** True if `log` begins with every entry of `prefix`, byte for byte. */
function startsWith(log: readonly LogEntry[], prefix: readonly LogEntry[]): boolean {
  return prefix.length <= log.length && prefix.every((p, i) => bytesEqual(p.entry, log[i].entry));
}
