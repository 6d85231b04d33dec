import { PUSH_TTL_SECONDS } from '../../src/lib/protocol/limits';

/**
 * The whole payload of every push Hearth sends. It is the same bytes for every device, room and message: no room
 * id, sender, count or time, so neither the push service nor a lock screen learns anything from it. The service
 * worker shows a fixed "New message in Hearth" whatever arrives.
 */
export const PUSH_PAYLOAD = JSON.stringify({ v: 1, kind: 'new-message' });

/** One topic for every push, so a push service replaces an undelivered one instead of queueing repeats. */
export const PUSH_TOPIC = 'hearth-new-message';

export const PUSH_TTL = PUSH_TTL_SECONDS;
