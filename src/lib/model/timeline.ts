import type { AuditView, MessageView } from './conversation';

/** One line of a conversation as it is shown: a message, or a line of its audit trail. */
export type TimelineItem = { type: 'message'; message: MessageView } | { type: 'audit'; audit: AuditView };

/** Messages in conversation order, with the audit trail's lines (oldest first) placed among them by time. */
export function timeline(messages: MessageView[], audit: AuditView[]): TimelineItem[] {
  const out: TimelineItem[] = [];
  let next = 0;
  for (const message of messages) {
    while (next < audit.length && audit[next].at <= message.at)
      out.push({ type: 'audit', audit: audit[next++] });
    out.push({ type: 'message', message });
  }
  while (next < audit.length) out.push({ type: 'audit', audit: audit[next++] });
  return out;
}

/** The id a line is keyed by on screen. */
export function timelineItemId(item: TimelineItem): string {
  return item.type === 'message' ? item.message.id : item.audit.id;
}
