/** What counts as someone using the app. */
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'touchstart', 'wheel', 'input'] as const;
/** How often the idle check runs: often enough that a lock is never more than a few seconds late. */
const CHECK_EVERY_MS = 5_000;

/**
 * Locks the app after a period without use, and when it comes back after being hidden for at least that period
 * (a phone put in a pocket, a tab left behind on a shared computer). Plain timers and clock reads, so a test can
 * move the clock forward instead of waiting.
 */
export class AutoLock {
  private lastActivity = Date.now();
  private hiddenAt: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly onActivity = () => {
    this.lastActivity = Date.now();
  };
  private readonly onVisibility = () => {
    if (document.visibilityState === 'hidden') {
      this.hiddenAt = Date.now();
      return;
    }
    const hiddenFor = this.hiddenAt === null ? 0 : Date.now() - this.hiddenAt;
    this.hiddenAt = null;
    if (hiddenFor >= this.periodMs()) this.lock();
    else this.check();
  };

  constructor(
    private readonly periodMs: () => number,
    private readonly lock: () => void,
  ) {}

  start(): void {
    this.stop();
    this.lastActivity = Date.now();
    for (const name of ACTIVITY_EVENTS)
      window.addEventListener(name, this.onActivity, { capture: true, passive: true });
    document.addEventListener('visibilitychange', this.onVisibility);
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.hiddenAt = null;
    for (const name of ACTIVITY_EVENTS) window.removeEventListener(name, this.onActivity, { capture: true });
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private check(): void {
    if (Date.now() - this.lastActivity >= this.periodMs()) this.lock();
  }
}
