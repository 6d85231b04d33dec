import type { SharedLimits } from './sharedLimits';

/** A device's first lease in this process asks for this many tokens... */
const LEASE_MIN = 4;
/** ...and each one used up before it lapses doubles the next, up to this many: a burst costs a call per 64. */
const LEASE_MAX = 64;
/** Leased tokens unused this long after the last lease go back to the shared bucket, for the device's other relays. */
const LEASE_LAPSE_MS = 1_000;

/**
 * This process's share of one device's append tokens, leased in small chunks from the bucket that every relay shares,
 * so an append waits on Redis only when the chunk runs out. The device's appends here that find it empty wait for
 * one lease call together. Redis never grants more than the bucket holds, so what a device appends through all
 * relays together stays within its rate; tokens one relay leased and did not use return to the bucket when the lease
 * lapses, so another relay's sockets of the device can use them.
 */
export class TokenLease {
  private credit = 0;
  private size = LEASE_MIN;
  /** The shared bucket was empty: until then, refuse here without asking again (a flood costs Redis nothing). */
  private refusedUntil = 0;
  private renewing: Promise<boolean> | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly device: string,
    private readonly shared: SharedLimits,
    private readonly clock: () => number,
  ) {}

  /** Take one token: 0 if taken, the ms to wait if the shared bucket is empty, undefined if it cannot be reached. */
  async take(): Promise<number | undefined> {
    // Each turn either takes a token, or finds a refusal, or renews the lease (which grants or refuses): it ends.
    for (;;) {
      if (this.credit > 0) {
        this.credit -= 1;
        return 0;
      }
      const wait = this.refusedUntil - this.clock();
      if (wait > 0) return Math.ceil(wait);
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
      if (!(await this.renewing)) return undefined;
    }
  }

  /** Holding tokens, or asking for some: forgetting the device now would lose them. */
  get busy(): boolean {
    return this.credit > 0 || this.renewing !== undefined;
  }

  /** Give back what is left at once (the process is stopping). */
  end(): void {
    clearTimeout(this.lapseTimer);
    this.giveBack();
  }

  /** False when the shared bucket cannot be reached. */
  private async renew(): Promise<boolean> {
    const want = this.size;
    const lease = await this.shared.leaseTokens(this.device, want);
    if (!lease) return false;
    if (lease.granted === 0) {
      this.refusedUntil = this.clock() + lease.retryAfterMs;
      return true;
    }
    this.credit += lease.granted;
    // The next lease is twice this one unless this one lapses first: a device that uses up a lease within
    // LEASE_LAPSE_MS is busy, and a larger lease saves it calls.
    this.size = Math.min(LEASE_MAX, want * 2);
    clearTimeout(this.lapseTimer);
    this.lapseTimer = setTimeout(() => this.lapse(), LEASE_LAPSE_MS);
    this.lapseTimer.unref();
    return true;
  }

  private lapse(): void {
    this.lapseTimer = undefined;
    this.size = LEASE_MIN;
    this.giveBack();
  }

  private giveBack(): void {
    if (this.credit === 0) return;
    this.shared.returnTokens(this.device, this.credit);
    this.credit = 0;
  }
}
