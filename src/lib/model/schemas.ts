import { z } from 'zod';
import { MAX_MESSAGE_CHARS, MAX_NAME_CHARS } from '../protocol/limits';

/** The person using this device, as they described themselves. Stored encrypted. */
export const Profile = z.object({
  name: z.string().min(1).max(MAX_NAME_CHARS),
  role: z.enum(['therapist', 'client']),
  replyPromise: z.string().max(200),
});
export type Profile = z.infer<typeof Profile>;

/** What this device keeps about a room: its keys and who it trusts there. Stored encrypted. */
export const RoomRecord = z.object({
  room: z.string().regex(/^[0-9a-f]{32}$/),
  epoch: z.number().int().nonnegative(),
  keys: z.record(z.string(), z.string()),
  creator: z.string(),
  inviteSecrets: z.array(z.string()),
  createdAt: z.number(),
  /** The therapist's own note of who an invite is for, shown until that person joins. Never leaves the device. */
  label: z.string().max(MAX_NAME_CHARS).default(''),
  /** The invite link, kept so it can be shown again until it is used. */
  inviteLink: z.string().default(''),
  /** Who invited us, from the signed invite: shown until their own introduction arrives. */
  inviter: z
    .object({ name: z.string().min(1).max(MAX_NAME_CHARS), replyPromise: z.string().max(200) })
    .optional(),
  /** The key this device replaces in the conversation (it joined through an "invite again" link). */
  replaces: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The contact key whose safety number this person compared and marked as verified, and when. */
  verified: z.object({ key: z.string().regex(/^[0-9a-f]{64}$/), at: z.number() }).optional(),
});
export type RoomRecord = z.infer<typeof RoomRecord>;

/** A message as it lives in the conversation document. Read back through this schema: peers are not trusted. */
export const MessageEntry = z.object({
  id: z.string().min(8).max(64),
  by: z.string().regex(/^[0-9a-f]{64}$/),
  n: z.number().int().positive(),
  text: z.string().min(1).max(MAX_MESSAGE_CHARS),
  at: z.number(),
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
 * is as private as the messages and every participant's device holds the same trail. `by` is the key of the device
 * that wrote it (the envelope's verified author); `subject` the key it concerns, when another.
 */
export const AuditEntry = z.object({
  id: z.string().min(8).max(64),
  kind: z.enum(AUDIT_KINDS),
  by: z.string().regex(/^[0-9a-f]{64}$/),
  subject: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  at: z.number(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

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
