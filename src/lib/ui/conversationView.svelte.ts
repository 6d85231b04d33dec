import {
  CONVERSATION_PAGE_ITEMS,
  MAX_MESSAGE_CHARS,
  timeline,
  timelineItemId,
  type Conversation,
  type ConversationListItem,
  type MessageView,
  type RecentTimeline,
  type TimelineItem,
} from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';
import { MessagingSessionState } from './messagingSession.svelte';
import { notifications } from './notifications.svelte';

/** What the messages list shows: the latest lines (where new ones arrive) and the earlier ones paged back to. */
export interface ShownLines {
  earlier: TimelineItem[];
  latest: TimelineItem[];
  /** There are lines before the first one shown. */
  more: boolean;
}

/**
 * State of one open conversation screen: what it shows, the draft, and sending. Until the conversation's document
 * is loaded it shows the latest lines the device kept from last time, and says it is still loading. The draft is the
 * session's (sealed on the device), so it is there again after a reload or a lock.
 */
export class ConversationViewState {
  private typed = $state('');
  error = $state('');
  /** Why the draft as typed cannot be kept on the device (too long), in words. */
  draftError = $state('');
  sending = $state(false);
  /** The latest lines as stored last time, shown until the conversation itself is loaded. */
  recent = $state.raw<RecentTimeline | null>(null);
  /** How many lines before the latest page the person asked to see. */
  earlierCount = $state(0);
  loadError = $state('');
  /** The first line of the latest page: new lines add after it, earlier pages go before it. Not reactive. */
  private anchor: string | null = null;
  /** The messaging session running here, on a clock that ticks while the screen shows. */
  readonly messagingSession: MessagingSessionState;

  constructor(private readonly roomId: () => string) {
    this.typed = app.session?.drafts.get(roomId()) ?? '';
    this.messagingSession = new MessagingSessionState(() => this.conversation);
  }

  get draft(): string {
    return this.typed;
  }

  /** What is typed shows at once, and is stored (sealed) shortly after. */
  set draft(text: string) {
    this.typed = text;
    this.draftError = '';
    try {
      app.session?.drafts.set(this.roomId(), text);
    } catch (e) {
      this.draftError = handleError(e, 'draft');
    }
  }

  /**
   * Put `text` into the draft in place of the characters from `start` to `end` (the selection; by default the end of
   * the draft). Returns where the caret goes: after the inserted text.
   */
  insert(text: string, start = this.typed.length, end = start): number {
    const draft = this.typed;
    this.draft = draft.slice(0, start) + text + draft.slice(end);
    return start + text.length;
  }

  /** The conversation, once its document is loaded. */
  get conversation(): Conversation | undefined {
    void app.revision;
    return app.session?.conversations.get(this.roomId());
  }

  /** Whether this device has the conversation at all (loaded or not). */
  get known(): boolean {
    void app.revision;
    return app.session?.index.has(this.roomId()) ?? false;
  }

  /** Its row in the list: names and topic to show before the conversation is loaded. */
  get summary(): ConversationListItem | undefined {
    void app.revision;
    return app.session?.index.item(this.roomId());
  }

  get messages(): MessageView[] {
    void app.revision;
    return this.conversation?.messages() ?? [];
  }

  /** Every line: the conversation's, or the stored latest ones while it loads. */
  get timeline(): TimelineItem[] {
    const conversation = this.conversation;
    // A session's end line appears when its time comes, without anything else changing.
    void this.messagingSession.runningId;
    if (conversation) return timeline(conversation.messages(), conversation.auditTrail());
    return this.recent?.items ?? [];
  }

  get shown(): ShownLines {
    const items = this.timeline;
    const from = this.latestFrom(items);
    const start = Math.max(0, from - this.earlierCount);
    const hidden = this.conversation ? start : (this.recent?.total ?? 0) - items.length + start;
    return { earlier: items.slice(start, from), latest: items.slice(from), more: hidden > 0 };
  }

  /**
   * Show the lines from a message on (a search result's), paging back as far as it takes. True once it is among the
   * lines shown; false while the conversation is loading, or when it holds no such message.
   */
  reveal(messageId: string): boolean {
    if (!this.conversation) return false;
    const items = this.timeline;
    const at = items.findIndex((item) => item.type === 'message' && item.message.id === messageId);
    if (at < 0) return false;
    const from = this.latestFrom(items);
    if (at < from) this.earlierCount = Math.max(this.earlierCount, from - at);
    return true;
  }

  /** Show another page of earlier lines (they appear once the conversation is loaded, if it is not yet). */
  showEarlier(): void {
    this.earlierCount += CONVERSATION_PAGE_ITEMS;
  }

  /**
   * Show the stored latest lines at once, then load the conversation ahead of the others still loading. Only the
   * loaded document is the conversation: the stored lines give way to it as soon as it is there.
   */
  async open(): Promise<void> {
    const session = app.session;
    const room = this.roomId();
    if (!session || this.conversation || !session.index.has(room)) return;
    const recent = await session.index.recent(room);
    if (!this.conversation) this.recent = recent;
    try {
      await session.index.open(room);
      this.recent = null;
    } catch (e) {
      this.loadError = handleError(e, 'open-conversation');
    }
  }

  get length(): number {
    return this.draft.trim().length;
  }

  get overLimit(): boolean {
    return this.length > MAX_MESSAGE_CHARS;
  }

  async send(): Promise<void> {
    const session = app.session;
    if (this.sending || !session) return;
    this.error = '';
    this.sending = true;
    try {
      // Written before the conversation finished loading: it is queued into the loaded document, never beside it.
      const conversation = this.conversation ?? (await session.index.open(this.roomId()));
      const sent = this.typed;
      await conversation.send(sent);
      if (this.typed === sent) {
        this.typed = '';
        this.draftError = '';
        void session.drafts.clear(this.roomId());
      } else {
        // Typed on while it was being sent: that text is kept, and stored as the draft.
        this.draft = this.typed;
      }
      notifications.messageQueued();
    } catch (e) {
      // The draft stays as typed: nothing a person wrote is thrown away because it could not be sent.
      this.error = handleError(e, 'send');
    } finally {
      this.sending = false;
    }
  }

  markRead(): void {
    if (typeof document !== 'undefined' && document.visibilityState === 'visible')
      this.conversation?.markRead();
  }

  /**
   * Where the latest lines start: never after the last page, and at the anchor line when that is earlier, so lines
   * that arrive while the conversation is open add to what is shown rather than push it away. A line that arrives
   * with an earlier time (an introduction that was on its way) lands within the shown lines when they are few.
   */
  private latestFrom(items: TimelineItem[]): number {
    const lastPage = Math.max(0, items.length - CONVERSATION_PAGE_ITEMS);
    // Searched from the end: the anchor is near it unless many lines arrived since.
    for (let at = items.length - 1; this.anchor !== null && at >= 0; at--) {
      if (timelineItemId(items[at]) === this.anchor) return Math.min(at, lastPage);
    }
    this.anchor = items.length > 0 ? timelineItemId(items[lastPage]) : null;
    return lastPage;
  }
}
