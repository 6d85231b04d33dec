/** What the UI uses: everything it needs goes through here, never to sync/, store/ or crypto/ directly. */
export { accountExists, createAccount, unlock, AccountError, type NewAccount } from './account';
export { Session } from './session';
export { DeviceLinkRequest } from './linkThisDevice';
export { DeviceError, type DeviceEvent, type DeviceView } from './devices';
export { Conversation, type MessageView, type Counterpart } from './conversation';
export { MessageError, validateMessage } from './errors';
export type { MessageState } from './messageState';
export type { Profile } from './schemas';
export { WrongPassphraseError, RelayError, InviteError, LinkError, type ConnectionStatus } from '../sync';
export { MAX_MESSAGE_CHARS, MIN_PASSPHRASE_CHARS, MAX_NAME_CHARS } from '../protocol/limits';
