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
export type { MessageState } from './messageState';
export type { Contact, Profile, Settings } from './schemas';
export type { Participant } from './membershipView';
export { MIN_LOCK_MINUTES, MAX_LOCK_MINUTES, DEFAULT_LOCK_MINUTES } from './schemas';
export { WrongPassphraseError, RelayError, InviteError, LinkError, type ConnectionStatus } from '../sync';
/** What an invite link is for, from the link alone: lets the invite page offer a therapist's account for a practice. */
export { fragmentKind as inviteKind } from '../sync';
export {
  CONVERSATION_PAGE_ITEMS,
  MAX_MESSAGE_CHARS,
  MIN_PASSPHRASE_CHARS,
  MAX_NAME_CHARS,
  MAX_TOPIC_CHARS,
  SEARCH_MAX_QUERY_CHARS,
} from '../protocol/limits';
