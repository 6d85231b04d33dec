import type { AppendQueue } from './appendQueue';
import type { Config } from './config';
import type { Fanout } from './fanout';
import type { Logger } from './log';
import type { RelayStorage } from './storage/RelayStorage';

/** The relay's shared services, handed to every connection and handler. */
export interface RelayContext {
  config: Config;
  storage: RelayStorage;
  appendQueue: AppendQueue;
  fanout: Fanout;
  log: Logger;
}
