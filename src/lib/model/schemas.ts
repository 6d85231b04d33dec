import { z } from 'zod';
import {
  MAX_AWAY_MESSAGE_CHARS,
  MAX_KEPT_SESSIONS,
  MAX_MESSAGE_CHARS,
  MAX_NAME_CHARS,
  MAX_OFFICE_INTERVALS_PER_DAY,
  MAX_REPLY_WITHIN,
  MAX_TIMESTAMP_MS,
  MAX_TOPIC_CHARS,
  MESSAGING_SESSION_MINUTES,
} from '../protocol/limits';
import { isTimeZone } from './zonedTime';

/** A 32-byte public key as 64 lowercase hex digits. */
export const HexKey = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * A time a peer wrote into a conversation document (ms since 1970): whole, and within MAX_TIMESTAMP_MS, so every view,
 * sum and `Intl` format of it works. An entry whose time is not fails its schema and is dropped.
 */
export const Timestamp = z.number().int().min(0).max(MAX_TIMESTAMP_MS);

/** An open interval of one day: minutes after local midnight, in the office hours' zone (1440: midnight after). */
const OpenInterval = z
  .object({ start: z.number().int().min(0).max(1440), end: z.number().int().min(0).max(1440) })
  .refine((i) => i.start < i.end, 'An interval closes after it opens.');

/**
 * A therapist's weekly office hours and reply promise, as they publish them. `week[0]` is Sunday … `week[6]` Saturday,
 * each day's intervals in order and apart; at least one day is open. `replyWithin` counts working time: office hours
 * (`hours`), or days with office hours (`days`); see `officeHours.ts`.
 */
export const OfficeHours = z.object({
  timeZone: z.string().max(64).refine(isTimeZone, 'Not a time zone this device knows.'),
  week: z
    .array(
      z
        .array(OpenInterval)
        .max(MAX_OFFICE_INTERVALS_PER_DAY)
        .refine(
          (day) => day.every((interval, i) => i === 0 || day[i - 1].end < interval.start),
          'A day’s intervals are in order and do not touch.',
        ),
    )
    .length(7)
    .refine((week) => week.some((day) => day.length > 0), 'At least one day has office hours.'),
  replyWithin: z.object({
    amount: z.number().int().min(1).max(MAX_REPLY_WITHIN),
    unit: z.enum(['hours', 'days']),
  }),
  awayMessage: z.string().max(MAX_AWAY_MESSAGE_CHARS).default(''),
});
export type OfficeHours = z.infer<typeof OfficeHours>;

/** The person using this device, as they described themselves. Stored encrypted. */
export const Profile = z.object({
  name: z.string().min(1).max(MAX_NAME_CHARS),
  role: z.enum(['therapist', 'client']),
  replyPromise: z.string().max(200),
  /** A therapist's office hours; `replyPromise` is then worded from them. */
  hours: OfficeHours.optional(),
});
export type Profile = z.infer<typeof Profile>;

/** A membership change made on this device and not yet in the room's log (see sync/roomMembership.ts). */
export const PendingMembershipChange = z.object({
  id: z.string().min(8).max(64),
  kind: z.enum(['create', 'add', 'remove', 'leave', 'handover']),
  subject: HexKey,
  subjectBox: HexKey,
  at: z.number(),
});

/**
 * A messaging session in the conversation document (`sessions`): `by` (a participant's identity key) started it at
 * `at` for `minutes`, one of MESSAGING_SESSION_MINUTES. It ends by itself: there is no entry that stops one.
 */
export const MessagingSessionEntry = z.object({
  id: z.string().min(8).max(64),
  by: HexKey,
  at: Timestamp,
  minutes: z
    .number()
    .int()
    .refine((m) => (MESSAGING_SESSION_MINUTES as readonly number[]).includes(m)),
});
export type MessagingSessionEntry = z.infer<typeof MessagingSessionEntry>;

/** A room holds a conversation, or a practice's directory of professionals. */
export const ROOM_KINDS = ['conversation', 'practice'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

/** What this device keeps about a room: its keys and who it trusts there. Stored encrypted. */
export const RoomRecord = z.object({
  room: z.string().regex(/^[0-9a-f]{32}$/),
  /** The highest epoch whose key is in `keys`. */
  epoch: z.number().int().nonnegative(),
  /** Room keys by epoch (base64url). Empty for a room this device learnt of and has no key bundle for yet. */
  keys: z.record(z.string(), z.string()),
  /** The creator's signing key as this device learnt it out of band (base64url); empty when it learnt of none. */
  creator: z.string(),
  inviteSecrets: z.array(z.string()),
  createdAt: z.number(),
  /** The therapist's own note of who an invite is for, shown until that person joins. Never leaves the device. */
  label: z.string().max(MAX_NAME_CHARS).default(''),
  /** The invite link, kept so it can be shown again until it is used. */
  inviteLink: z.string().default(''),
  /** Who invited us, from the signed invite: shown until their own introduction arrives. */
  inviter: z
    .object({
      name: z.string().min(1).max(MAX_NAME_CHARS),
      replyPromise: z.string().max(200),
      role: z.enum(['therapist', 'client']).default('therapist'),
      /** Their identity box key (hex), from the signed invite: what makes them a contact one can add. */
      box: HexKey.optional(),
    })
    .optional(),
  /** The key this device replaces in the conversation (it joined through an "invite again" link). */
  replaces: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /**
   * On the manager's device: for each "invite again" link it made (by invite id, hex), the key of the lost device it
   * stands in for. Once the new device's claim is written into the log, that key is removed.
   */
  rejoins: z.record(z.string().regex(/^[0-9a-f]{32,64}$/), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  /** The contact key whose safety number this person compared and marked as verified, and when. */
  verified: z.object({ key: z.string().regex(/^[0-9a-f]{64}$/), at: z.number() }).optional(),
  /** The room's membership log as the relay last sent it (base64url entries), so it shows offline. */
  log: z.array(z.object({ entry: z.string(), afterSeq: z.number().int().nonnegative() })).default([]),
  /** Membership changes made here and not yet in the log, oldest first. */
  pendingMembership: z.array(PendingMembershipChange).default([]),
  /**
   * The name this person takes part under where not everyone is their contact: a nickname, null for their own name,
   * absent while they have not chosen.
   */
  nickname: z.string().min(1).max(MAX_NAME_CHARS).nullable().optional(),
  /**
   * What the room is: a conversation, or a practice (its members are the practice's professionals, its manager the
   * administrator). Set when this device made the room or joined it by a signed invite; absent for a room from before
   * practices, or one learnt of by the relay's room list, until its document says.
   */
  kind: z.enum(ROOM_KINDS).optional(),
  /**
   * The messaging sessions this device has counted, newest last (at most MAX_KEPT_SESSIONS): they keep counting here
   * even if a peer deletes their entries or slips a backdated one in before them (see `countedSessions`). Dropped,
   * not the record, if it ever fails to parse.
   */
  sessions: z.array(MessagingSessionEntry).max(MAX_KEPT_SESSIONS).optional().catch(undefined),
});
export type RoomRecord = z.infer<typeof RoomRecord>;

/** A message as it lives in the conversation document. Read back through this schema: peers are not trusted. */
export const MessageEntry = z.object({
  id: z.string().min(8).max(64),
  by: z.string().regex(/^[0-9a-f]{64}$/),
  n: z.number().int().positive(),
  text: z.string().min(1).max(MAX_MESSAGE_CHARS),
  at: Timestamp,
  /** Sent by the author's device on its own: `away`, the away message (see `awayReply.ts`). */
  auto: z.literal('away').optional(),
});
export type MessageEntry = z.infer<typeof MessageEntry>;

/** A participant's public self-description inside the conversation document. */
export const PersonEntry = z.object({
  name: z.string().min(1).max(MAX_NAME_CHARS),
  role: z.enum(['therapist', 'client']),
  replyPromise: z.string().max(200).default(''),
  /** The key this participant had before, when they rejoined from a new device without it. */
  replaces: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** True when `name` is a nickname the person chose for this conversation, not their own name. */
  nickname: z.boolean().optional(),
  /** A therapist's published office hours, reply promise and away message (left out if a peer wrote them wrong). */
  hours: OfficeHours.optional().catch(undefined),
});
export type PersonEntry = z.infer<typeof PersonEntry>;

/** One reader's receipts: for each author, the highest message number delivered to and read on its device. */
export const ReceiptEntry = z.record(
  z.string(),
  z.object({ delivered: z.number().int().nonnegative(), read: z.number().int().nonnegative() }),
);
export type ReceiptEntry = z.infer<typeof ReceiptEntry>;

/** Names this person gave their devices, by hex signing key. Kept only in sealed records, never at the relay. */
export const DeviceNames = z.object({
  names: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.string().min(1).max(MAX_NAME_CHARS)),
});
export type DeviceNames = z.infer<typeof DeviceNames>;

export const AUDIT_KINDS = [
  'created',
  'joined',
  'left',
  'added',
  'removed',
  'device-linked',
  'device-removed',
  'key-changed',
] as const;

/**
 * One line of the conversation's audit trail: who did what, to whom, when. Part of the encrypted document, so it
 * is as private as the messages and every participant's device holds the same trail. `by` is the identity key of
 * the person who wrote it (the person the envelope's verified author acts for, checked by sync/entryAuthorship.ts);
 * `subject` the key it concerns, when another.
 */
export const AuditEntry = z.object({
  id: z.string().min(8).max(64),
  kind: z.enum(AUDIT_KINDS),
  by: z.string().regex(/^[0-9a-f]{64}$/),
  subject: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  at: Timestamp,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * A topic change in the conversation document (`topics`): it counts only if `by` managed the room after the first
 * `index` entries of the membership log (the head the writer saw). The view shows the last that counts.
 */
export const TopicEntry = z.object({
  topic: z.string().min(1).max(MAX_TOPIC_CHARS),
  by: HexKey,
  at: Timestamp,
  index: z.number().int().positive(),
});
export type TopicEntry = z.infer<typeof TopicEntry>;

/**
 * How someone became a contact: they invited this person, took this person's invite, or are a
 * professional of the same practice (never stored: it lasts exactly as long as both are in the practice).
 */
export const CONTACT_SOURCES = ['invited-me', 'accepted-my-invite', 'practice'] as const;

/** Someone this person can add to a conversation. Stored encrypted, in the record `contacts`. */
export const Contact = z.object({
  /** Identity signing and box keys (hex). */
  key: HexKey,
  box: HexKey,
  name: z.string().min(1).max(MAX_NAME_CHARS),
  role: z.enum(['therapist', 'client']),
  source: z.enum(CONTACT_SOURCES),
  at: z.number(),
});
export type Contact = z.infer<typeof Contact>;

export const ContactList = z.object({ contacts: z.array(Contact) });

export const MIN_LOCK_MINUTES = 1;
export const MAX_LOCK_MINUTES = 60;
export const DEFAULT_LOCK_MINUTES = 5;

/** This device's preferences. Stored encrypted, like everything else about the person. */
export const Settings = z.object({
  /** Lock after this long without use, or hidden for this long. */
  lockAfterMinutes: z
    .number()
    .int()
    .min(MIN_LOCK_MINUTES)
    .max(MAX_LOCK_MINUTES)
    .default(DEFAULT_LOCK_MINUTES),
});
export type Settings = z.infer<typeof Settings>;
