import type { Config } from '../config';
import { LocalFanout, type Fanout } from '../fanout';
import type { Logger } from '../log';

/**
 * The one place that picks the fan-out: across processes through Redis when REDIS_URL is set, else in-process.
 * The Redis client is loaded only when used.
 */
export async function openFanout(config: Config, log: Logger): Promise<Fanout> {
  if (config.redisUrl) {
    const { RedisFanout } = await import('./redis');
    return RedisFanout.open(config.redisUrl, log);
  }
  return new LocalFanout();
}
