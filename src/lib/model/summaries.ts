import { z } from 'zod';
import { CONVERSATION_PAGE_ITEMS, SUMMARY_PREVIEW_CHARS } from '../protocol/limits';
import { MESSAGE_STATES } from '../store/db';
import type { Conversation } from './conversation';
import { AUDIT_KINDS, Timestamp, type RoomRecord } from './schemas';
import { timeline } from './timeline';

/**
 * What the conversations list shows of one conversation. The device keeps it sealed under the storage key (record
 * `summary:<room>`) and rewrites it after the conversation changes, so the list shows at unlock without opening any
 * conversation's document. It holds content (names, a preview), so it is as private as the messages.
 */
export const ConversationSummary = z.object({
  room: z.string().regex(/^[0-9a-f]{32}$/),
  topic: z.string(),
  /** The other participants' names, the main contact first. */
  participants: z.array(z.string()),
  /** Their identity keys (hex), in the same order: what the inbox filters by. */
  participantKeys: z.array(z.string().regex(/^[0-9a-f]{64}$/)).default([]),
  /** The last message, cut to SUMMARY_PREVIEW_CHARS. */
  preview: z.object({ text: z.string(), mine: z.boolean(), author: z.string() }).nullable(),
  /**
   * When the last message was written (or the conversation made, before any). Bounded like the document's times: a
   * summary kept before they were is unreadable, skipped, and rebuilt once its conversation loads.
   */
  lastActivity: Timestamp,
  unread: z.number().int().nonnegative(),
  /** Whether this device holds messages of this conversation the relay has not stored yet. */
  unsent: z.boolean(),
  /**
   * When the oldest message from someone else that this person has not answered yet was written: the others have
   * been waiting for a reply since then. Null when this person wrote last (or nobody has written).
   */
  waitingSince: Timestamp.nullable().default(null),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

const MessageLine = z.object({
  id: z.string(),
  text: z.string(),
  at: Timestamp,
  mine: z.boolean(),
  /** Lines kept before authors were recorded read back with none. */
  by: z.string().default(''),
  authorName: z.string(),
  auto: z.literal('away').optional(),
  state: z.enum(MESSAGE_STATES).nullable(),
  failedReason: z.string().nullable(),
});

const AuditLine = z.object({
  id: z.string(),
  kind: z.enum([
    ...AUDIT_KINDS,
    'create',
    'add',
    'remove',
    'leave',
    'handover',
    'topic',
    'session-start',
    'session-end',
  ]),
  at: z.number(),
  text: z.string(),
  pending: z.boolean().optional(),
});

/**
 * The latest lines of a conversation as this device last had them (record `recent:<room>`, sealed like the
 * summary): shown the moment a conversation is opened, until its document is loaded and takes over.
 */
export const RecentTimeline = z.object({
  room: z.string().regex(/^[0-9a-f]{32}$/),
  /** How many lines the whole conversation had, so the view knows there are earlier ones to page back to. */
  total: z.number().int().nonnegative(),
  items: z.array(
    z.discriminatedUnion('type', [
      z.object({ type: z.literal('message'), message: MessageLine }),
      z.object({ type: z.literal('audit'), audit: AuditLine }),
    ]),
  ),
});
export type RecentTimeline = z.infer<typeof RecentTimeline>;

/** What a summary is made from: the conversation's public getters, so it follows them when they change. */
export type SummarySource = Pick<
  Conversation,
  | 'room'
  | 'record'
  | 'topic'
  | 'messages'
  | 'auditTrail'
  | 'people'
  | 'participants'
  | 'counterpart'
  | 'unreadCount'
  | 'hasUnsent'
>;

/** A row of the conversations list: the summary, or what the room's record says until there is one. */
export interface ConversationListItem extends ConversationSummary {
  /** The therapist's note of who an invite is for, shown until that person joins. */
  label: string;
  /** True when nothing is known of the conversation's content yet: it has not been opened on this device. */
  pending: boolean;
}

/** The summary of a loaded conversation. `me` is this person's identity key (hex). */
export function summarize(conversation: SummarySource, me: string): ConversationSummary {
  const messages = conversation.messages();
  const last = messages.at(-1);
  const others = otherParticipants(conversation, me);
  return {
    room: conversation.room,
    topic: conversation.topic,
    participants: others.map((p) => p.name),
    participantKeys: others.map((p) => p.key),
    preview: last
      ? { text: last.text.slice(0, SUMMARY_PREVIEW_CHARS), mine: last.mine, author: last.authorName }
      : null,
    lastActivity: last?.at ?? conversation.record.createdAt,
    unread: conversation.unreadCount(),
    unsent: conversation.hasUnsent(),
    waitingSince: waitingSince(messages, sameRoleAs(conversation, me)),
  };
}

/**
 * When the unanswered run of messages at the end of the conversation began, or null if there is none. A message
 * answers when this person wrote it, or someone in the same role (a colleague in a group answers for the practice);
 * an automatic reply (the away message) answers nobody, so those waiting before it are still waiting. `sameRole`
 * says whether an author who is not this person shares their role.
 */
export function waitingSince(
  messages: readonly { at: number; mine: boolean; by?: string; auto?: 'away' }[],
  sameRole: (by: string) => boolean = () => false,
): number | null {
  let since: number | null = null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.auto) continue;
    if (message.mine || (message.by !== undefined && sameRole(message.by))) break;
    since = message.at;
  }
  return since;
}

/** Whether an author shares this person's role (known once both have introduced themselves). */
function sameRoleAs(conversation: SummarySource, me: string): (by: string) => boolean {
  const people = conversation.people();
  const mine = people.get(me)?.role;
  return (by) => mine !== undefined && people.get(by)?.role === mine;
}

/** The latest page of a loaded conversation's lines, to keep for the next time it is opened. */
export function recentTimeline(conversation: SummarySource): RecentTimeline {
  const items = timeline(conversation.messages(), conversation.auditTrail());
  return { room: conversation.room, total: items.length, items: items.slice(-CONVERSATION_PAGE_ITEMS) };
}

/**
 * The others in the conversation by the names this person knows them by (a contact's name, or the nickname someone
 * took part under), the main contact first; before anyone is in its member list, whoever has introduced themselves
 * and is still someone (a key replaced by a rejoin is not).
 */
function otherParticipants(conversation: SummarySource, me: string): { key: string; name: string }[] {
  const main = conversation.counterpart();
  const others = conversation.participants().filter((p) => !p.isMe);
  if (others.length > 0) {
    return others
      .sort((a, b) => Number(b.key === main?.key) - Number(a.key === main?.key))
      .map((p) => ({ key: p.key, name: p.name }));
  }
  const people = conversation.people();
  const replaced = new Set([...people.values()].map((p) => p.replaces));
  const named = main ? [{ key: main.key, name: main.name }] : [];
  for (const [key, person] of people) {
    if (key !== me && key !== main?.key && !replaced.has(key)) named.push({ key, name: person.name });
  }
  return named;
}

/** The list row of a room: its summary when there is one, or what its record says until it has been opened. */
export function listItem(record: RoomRecord, summary: ConversationSummary | undefined): ConversationListItem {
  if (summary) return { ...summary, label: record.label, pending: false };
  return {
    room: record.room,
    topic: '',
    participants: record.inviter ? [record.inviter.name] : [],
    participantKeys: [],
    preview: null,
    lastActivity: record.createdAt,
    unread: 0,
    unsent: false,
    waitingSince: null,
    label: record.label,
    pending: true,
  };
}

/** Most recent activity first. */
export function byLatestActivity(a: { lastActivity: number }, b: { lastActivity: number }): number {
  return b.lastActivity - a.lastActivity;
}

/**
 * The order to load rooms in behind the list: those the list knows nothing of yet first (so it is complete
 * soonest), then by latest activity, as the list shows them.
 */
export function loadingOrder(
  records: RoomRecord[],
  summaries: ReadonlyMap<string, ConversationSummary>,
): RoomRecord[] {
  const unknown = records.filter((r) => !summaries.has(r.room)).sort((a, b) => b.createdAt - a.createdAt);
  const known = records
    .filter((r) => summaries.has(r.room))
    .sort((a, b) => byLatestActivity(summaries.get(a.room)!, summaries.get(b.room)!));
  return [...unknown, ...known];
}
