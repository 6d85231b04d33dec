import { byLatestActivity, type ConversationListItem } from './summaries';

/** What the inbox can narrow itself to. */
export const INBOX_FILTERS = ['all', 'unread', 'waiting', 'unsent'] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];

export interface InboxQuery {
  filter: InboxFilter;
  /** Only conversations with this person in them (identity key, hex), or null for everyone. */
  person: string | null;
}

/** A row of the inbox: a conversation, and when its waiting person was promised a reply. */
export interface InboxItem extends ConversationListItem {
  /** When a reply is due by the reply promise, or null when nobody is waiting for one. */
  replyDue: number | null;
}

/** Someone in the inbox's conversations, to narrow it to them. */
export interface InboxPerson {
  key: string;
  name: string;
}

/**
 * The inbox: conversations where someone is waiting for a reply first, the one whose promised reply time comes
 * (or came) soonest at the top, so whoever has waited longest against the promise is answered first; then every
 * other conversation, most recent first. `replyDue` turns the time someone started waiting into the time the reply
 * promise says they should have an answer by.
 */
export function inbox(
  items: readonly ConversationListItem[],
  query: InboxQuery,
  replyDue: (waitingSince: number) => number,
): InboxItem[] {
  const rows = items.filter((item) => matches(item, query)).map((item) => withDue(item, replyDue));
  const waiting = rows.filter((row) => row.replyDue !== null).sort(byReplyDue);
  const rest = rows.filter((row) => row.replyDue === null).sort(byLatestActivity);
  return [...waiting, ...rest];
}

/** Everyone the inbox could be narrowed to, by name. */
export function inboxPeople(items: readonly ConversationListItem[]): InboxPerson[] {
  const people = new Map<string, string>();
  for (const item of items) {
    item.participantKeys.forEach((key, i) => people.set(key, item.participants[i] ?? 'Someone'));
  }
  return [...people]
    .map(([key, name]) => ({ key, name }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
}

function matches(item: ConversationListItem, { filter, person }: InboxQuery): boolean {
  if (person !== null && !item.participantKeys.includes(person)) return false;
  switch (filter) {
    case 'all':
      return true;
    case 'unread':
      return item.unread > 0;
    case 'waiting':
      return item.waitingSince !== null;
    case 'unsent':
      return item.unsent;
  }
}

function withDue(item: ConversationListItem, replyDue: (since: number) => number): InboxItem {
  return { ...item, replyDue: item.waitingSince === null ? null : replyDue(item.waitingSince) };
}

function byReplyDue(a: InboxItem, b: InboxItem): number {
  return a.replyDue! - b.replyDue! || a.waitingSince! - b.waitingSince!;
}
