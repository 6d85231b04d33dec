import {
  AccountError,
  BackupError,
  DeviceError,
  DraftError,
  InviteError,
  LinkError,
  MembershipError,
  MessageError,
  MessagingSessionError,
  NotificationError,
  OfficeHoursError,
  RelayError,
  SearchError,
  TemplateError,
  UnlockWaitError,
  WrongPassphraseError,
  type NotificationProblem,
} from '$lib/model';

export type ErrorContext =
  | 'unlock'
  | 'create-account'
  | 'send'
  | 'open-conversation'
  | 'create-invite'
  | 'accept-invite'
  | 'change-passphrase'
  | 'settings'
  | 'notifications'
  | 'restore'
  | 'link-device'
  | 'devices'
  | 'start-conversation'
  | 'membership'
  | 'draft'
  | 'templates'
  | 'messaging-session'
  | 'office-hours'
  | 'search';

const NOTIFICATION_WORDS: Record<NotificationProblem, string> = {
  unsupported: 'This browser cannot show notifications from Hearth.',
  denied:
    "Notifications are blocked for Hearth in this browser's settings. Allow them there, then turn this on again.",
  'not-allowed': 'Hearth was not allowed to show notifications. Turn this on again to be asked once more.',
  unavailable: 'Notifications are not available on this device.',
  offline:
    'You are offline. Turning notifications on needs a connection; try again when you are back online.',
};

const RELAY_WORDS: Record<string, string> = {
  offline: 'You are offline. This needs a connection; try again when you are back online.',
  timeout: 'The server did not answer in time. Check your connection and try again.',
  invite_not_found:
    'This invite link is not valid. It may have been copied incompletely; ask for a new link.',
  invite_expired: 'This invite has expired. Ask your therapist to send you a new one.',
  invite_used: 'This invite has already been used. Each invite link works once; ask for a new one.',
  not_a_member: 'You are no longer part of this conversation.',
  membership_forbidden: 'Only the manager of this conversation can do that.',
  membership_stale:
    'Someone else changed who is in this conversation at the same moment. Nothing was changed; try again.',
  envelope_too_large: 'This message is too large to send.',
  rate_limited: 'You are sending very quickly. Wait a moment and try again.',
  device_revoked: 'This device was removed from your account. It can no longer send or receive.',
  device_exists: 'That device is already linked to an account. Start linking again on the new device.',
  not_identity: 'Only the first device of your account can do this.',
  bad_certificate: 'The server did not accept this approval. Start linking again.',
  too_many_devices: 'This account has as many linked devices as it can hold. Remove one first.',
};

/** The one place errors become words a person can act on. Unknown errors are logged without content. */
export function handleError(error: unknown, context: ErrorContext): string {
  if (error instanceof WrongPassphraseError) {
    return context === 'change-passphrase'
      ? 'Your current passphrase is not right. Nothing was changed; try again.'
      : 'That passphrase is not right. Nothing was unlocked; try again.';
  }
  if (error instanceof MessageError || error instanceof AccountError || error instanceof UnlockWaitError) {
    return error.message;
  }
  if (error instanceof LinkError || error instanceof DeviceError) return error.message;
  if (error instanceof SearchError) return error.message;
  if (error instanceof MembershipError || error instanceof MessagingSessionError) return error.message;
  if (error instanceof DraftError || error instanceof TemplateError) return error.message;
  if (error instanceof OfficeHoursError) return error.message;
  if (error instanceof NotificationError) return NOTIFICATION_WORDS[error.problem];
  if (error instanceof BackupError) {
    if (error.code === 'wrong_secret') {
      return 'That recovery key or passphrase does not open this backup. Check it and try again.';
    }
    if (error.code === 'device_not_empty') {
      return 'This device already has a Hearth account. Erase it first (on the unlock screen), then restore.';
    }
    if (error.code === 'damaged') {
      return 'This backup file is incomplete or has been changed, so it cannot be used. Try another copy.';
    }
    return 'This file is not a Hearth backup. Choose the file Hearth saved when you made the backup.';
  }
  if (error instanceof InviteError) {
    if (error.code === 'expired') return 'This invite has expired. Ask your therapist to send you a new one.';
    if (error.code === 'professionals_only') {
      return "This invite is for a practice's professionals, and this device holds a client's account. Open it on a device with a therapist's account, or on a new device to create one.";
    }
    if (error.code === 'tampered') {
      return 'This invite link has been changed or damaged, so it cannot be trusted. Ask for a new link.';
    }
    return 'This invite link is incomplete or damaged. Open the whole link, or ask for a new one.';
  }
  if (error instanceof RelayError) {
    return RELAY_WORDS[error.code] ?? `The server refused this (${error.code}). Try again later.`;
  }
  console.error(
    `hearth: unexpected error during ${context}`,
    error instanceof Error ? error.name : typeof error,
  );
  return 'Something went wrong. Your messages on this device are safe; please try again.';
}
