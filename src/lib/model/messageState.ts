/** Message states are persisted by the store; the transition rule lives beside them. */
export { advance, type MessageState } from '../store/messageState';
