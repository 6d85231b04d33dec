import { minutesLeft, type Conversation, type MessagingSessionView } from '$lib/model';
import { app } from './app.svelte';

/** How often the time left is brought up to date while a conversation is on screen. */
export const SESSION_CLOCK_TICK_MS = 15_000;

/**
 * The messaging session of one conversation screen: which one is running and how long it has left, on a clock that
 * ticks while the screen shows (`tick`), so the banner counts down and goes when the session ends.
 */
export class MessagingSessionState {
  now = $state(Date.now());
  /** The length chosen for the next session, in minutes. */
  minutes = $state(30);
  /** Counts the sessions started from this screen: the banner takes focus after each. */
  startedHere = $state(0);
  /**
   * The moment the banner is judged at: the clock's last tick, or now when the conversation changed since (a session
   * that just arrived, dated after the last tick, shows at once rather than at the next one).
   */
  private readonly at: number = $derived.by(() => {
    void app.revision;
    return Math.max(this.now, Date.now());
  });
  readonly running: MessagingSessionView | null = $derived.by(
    () => this.conversation()?.runningMessagingSession(this.at) ?? null,
  );
  /** Changes only when a session starts or ends: what the timeline follows, so it is not rebuilt on every tick. */
  readonly runningId: string | null = $derived(this.running?.id ?? null);
  readonly minutesLeft: number = $derived(this.running ? minutesLeft(this.running, this.at) : 0);

  constructor(private readonly conversation: () => Conversation | undefined) {}

  /** Keep the clock current from now on; returns what stops it. */
  tick(): () => void {
    this.now = Date.now();
    const timer = setInterval(() => (this.now = Date.now()), SESSION_CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }

  /** Start a session of the chosen length. Throws `MessagingSessionError`. */
  async start(): Promise<void> {
    const conversation = this.conversation();
    if (!conversation) return;
    this.now = Date.now();
    await conversation.startMessagingSession(this.minutes);
    this.now = Date.now();
    this.startedHere += 1;
  }
}
