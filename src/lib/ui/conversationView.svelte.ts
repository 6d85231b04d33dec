import { MAX_MESSAGE_CHARS, type AuditView, type Conversation, type MessageView } from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';
import { notifications } from './notifications.svelte';

export type TimelineItem = { type: 'message'; message: MessageView } | { type: 'audit'; audit: AuditView };

/** State of one open conversation screen: what it shows, the draft, and sending. */
export class ConversationViewState {
  draft = $state('');
  error = $state('');
  sending = $state(false);

  constructor(private readonly roomId: () => string) {}

  get conversation(): Conversation | undefined {
    void app.revision;
    return app.session?.conversations.get(this.roomId());
  }

  get messages(): MessageView[] {
    void app.revision;
    return this.conversation?.messages() ?? [];
  }

  /** Messages in conversation order, with the audit trail's lines placed among them by time. */
  get timeline(): TimelineItem[] {
    const audit = this.conversation?.auditTrail() ?? [];
    const out: TimelineItem[] = [];
    let next = 0;
    for (const message of this.messages) {
      while (next < audit.length && audit[next].at <= message.at)
        out.push({ type: 'audit', audit: audit[next++] });
      out.push({ type: 'message', message });
    }
    while (next < audit.length) out.push({ type: 'audit', audit: audit[next++] });
    return out;
  }

  get length(): number {
    return this.draft.trim().length;
  }

  get overLimit(): boolean {
    return this.length > MAX_MESSAGE_CHARS;
  }

  async send(): Promise<void> {
    const conversation = this.conversation;
    if (!conversation || this.sending) return;
    this.error = '';
    this.sending = true;
    try {
      await conversation.send(this.draft);
      this.draft = '';
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
}
