/** What the UI uses: everything it needs goes through here, never to sync/, store/ or crypto/ directly. */
export {
  accountExists,
  createAccount,
  unlock,
  validateNewPassphrase,
  AccountError,
  type NewAccount,
} from './account';
export { UnlockThrottle, UnlockWaitError } from './unlockThrottle';
export { eraseLocalData } from './erase';
export { backupFileProtection, restoreFromBackup } from './backup';
export { BackupError, type BackupProgress } from '../sync';
export { deliverPendingRevocation, pendingRevocation, type Revocation } from './revocation';
export { Session } from './session';
export { DeviceLinkRequest } from './linkThisDevice';
export { DeviceError, type DeviceEvent, type DeviceView } from './devices';
export { Notifications, NotificationError, type NotificationProblem } from './notifications';
export {
  Conversation,
  MembershipError,
  type MessageView,
  type Counterpart,
  type Verification,
  type VerificationState,
  type AuditView,
} from './conversation';
export type { ConversationIndex } from './conversationIndex';
export { INBOX_FILTERS, type InboxFilter, type InboxItem, type InboxPerson, type InboxQuery } from './inbox';
export {
  linkedMessage,
  Search,
  SearchError,
  type SearchAnswer,
  type SearchProgress,
  type SearchResult,
} from './search';
export type { ConversationListItem, RecentTimeline } from './summaries';
export { timeline, timelineItemId, type TimelineItem } from './timeline';
export { MessageError, validateMessage } from './errors';
export { DraftError, type Drafts } from './drafts';
export { TemplateError, type ReplyTemplate, type Templates } from './templates';
export { MessagingSessionError, minutesLeft, type MessagingSessionView } from './messagingSessions';
export type { MessageState } from './messageState';
export type { Contact, OfficeHours, PersonEntry, Profile, Settings } from './schemas';
export { describeHours, describeMoment, describePromise } from './officeHours';
export {
  OfficeHoursError,
  officeHoursFromForm,
  officeHoursToForm,
  withBreak,
  type OfficeHoursForm,
} from './officeHoursForm';
export { WEEK_ORDER, WEEKDAY_NAMES } from './week';
export { replyExpectation } from './replyExpectation';
export { isLongDraft, isMessageBurst } from './etiquette';
export { timeZoneChoices } from './zonedTime';
export type { Participant } from './membershipView';
export { MIN_LOCK_MINUTES, MAX_LOCK_MINUTES, DEFAULT_LOCK_MINUTES } from './schemas';
export { WrongPassphraseError, RelayError, InviteError, LinkError, type ConnectionStatus } from '../sync';
/** What an invite link is for, from the link alone: lets the invite page offer a therapist's account for a practice. */
export { fragmentKind as inviteKind } from '../sync';
export {
  CONVERSATION_PAGE_ITEMS,
  MAX_AWAY_MESSAGE_CHARS,
  MAX_MESSAGE_CHARS,
  MAX_REPLY_WITHIN,
  MIN_PASSPHRASE_CHARS,
  MAX_NAME_CHARS,
  MAX_TOPIC_CHARS,
  MAX_TEMPLATE_TITLE_CHARS,
  MESSAGING_SESSION_MINUTES,
  SEARCH_MAX_QUERY_CHARS,
} from '../protocol/limits';
