import type { Config } from '../config';
import { LocalFanout, type Fanout } from '../fanout';
import type { Logger } from '../log';
import type { RelayStorage } from '../storage/RelayStorage';
import { RedisFanout } from './redis';

/** The one place that picks the fan-out: across processes through Redis when REDIS_URL is set, else in-process. */
export async function openFanout(config: Config, storage: RelayStorage, log: Logger): Promise<Fanout> {
  if (config.redisUrl) return RedisFanout.open(config.redisUrl, storage, log);
  return new LocalFanout();
}
