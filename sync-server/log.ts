import { pino, type Logger } from 'pino';
import { toHex } from '../src/lib/protocol/hex';

export type { Logger };

/** JSON logs to stdout. Nothing logged may carry content, keys in full, or tokens: ids and sizes only. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'hearth-relay' } });
}

/** The first 8 hex characters of a device key: enough to follow one device through the logs, no more. */
export function keyTag(publicKey: Uint8Array): string {
  return toHex(publicKey.subarray(0, 4));
}
