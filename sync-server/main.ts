import { MAX_CONNECTIONS_PER_DEVICE } from '../src/lib/protocol/limits';
import { AppendQueue } from './appendQueue';
import { openBlobStorage } from './blobs/openBlobStorage';
import { startSnapshotSweeper } from './blobs/snapshotSweeper';
import { loadConfig } from './config';
import { CLOSE_RESTART } from './connection';
import { DeviceSockets } from './deviceSockets';
import type { RelayContext } from './context';
import { openFanout } from './fanout/openFanout';
import { openDeviceLimits } from './limits/deviceLimits';
import { createLogger } from './log';
import { RelayMetrics } from './metrics';
import { PushNotifier } from './push/pushNotifier';
import { RoomPresence } from './push/roomPresence';
import { loadVapidKeys } from './push/vapidKeys';
import { createRelayServer, type RelayServer } from './server';
import { SignaturePool } from './signaturePool';
import { describeStorage, openStorage } from './storage/openStorage';

/** How long shutdown waits for sockets to finish their close handshake before cutting them. */
const CLOSE_GRACE_MS = 3000;

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  for (const problem of loaded.problems) console.error(problem);
  process.exit(1);
}
const config = loaded.config;
const log = createLogger(config.logLevel);
const storage = await openOrExit('storage', () => openStorage(config, log));
const blobs = await openOrExit('blob storage', () => openBlobStorage(config, log));
const fanout = await openOrExit('fan-out', () => openFanout(config, log));
const deviceLimits = await openOrExit('device limits', () => openDeviceLimits(config, log));
const vapid = await openOrExit('VAPID keys', () => loadVapidKeys(storage));
const signatures = new SignaturePool(config.verifyThreads, log);
const metrics = new RelayMetrics();
const presence = new RoomPresence(fanout);
const notifier = new PushNotifier({
  storage,
  presence,
  metrics,
  log,
  vapid,
  vapidSubject: config.vapidSubject,
  coalesceMs: config.pushCoalesceMs,
});
const ctx: RelayContext = {
  config,
  storage,
  blobs,
  fanout,
  log,
  appendQueue: new AppendQueue(storage, signatures, fanout, log, (room, authors) =>
    notifier.roomCommitted(room, authors),
  ),
  metrics,
  deviceLimits,
  deviceSockets: new DeviceSockets(MAX_CONNECTIONS_PER_DEVICE),
  presence,
  vapid,
};
const relay = createRelayServer(ctx);
const snapshotSweeper = startSnapshotSweeper(blobs, config.snapshotGraceMs, log, metrics);

relay.http.on('error', (error) => {
  log.fatal({ err: error }, 'http server failed');
  process.exit(1);
});
relay.http.listen(config.port, config.host, () => {
  const address = relay.http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    {
      host: config.host,
      port,
      ...describeStorage(config),
      fanout: config.redisUrl ? 'redis' : 'in-process',
      buildDir: config.buildDir,
    },
    'relay listening',
  );
});

process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

let stopping = false;

/** Open a service the relay cannot run without, or exit 1 saying which (never with a URL's credentials). */
async function openOrExit<T>(what: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    log.fatal({ err: error, ...describeStorage(config) }, `cannot open ${what}`);
    process.exit(1);
  }
}

/** Stop accepting, let received frames and queued commits finish (their acks go out), close sockets with 1012. */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  relay.stopAccepting();
  const connections = [...relay.connections];
  for (const connection of connections) connection.stopReading();
  await Promise.all(connections.map((connection) => connection.idle()));
  await ctx.appendQueue.idle();
  await signatures.close();
  await notifier.idle();
  for (const connection of connections) connection.close(CLOSE_RESTART, 'relay restarting');
  await socketsClosed(relay);
  await deviceLimits.close();
  await fanout.close();
  await storage.close();
  await snapshotSweeper.stop();
  await blobs.close();
  log.info('relay stopped');
  process.exit(0);
}

async function socketsClosed(server: RelayServer): Promise<void> {
  const deadline = Date.now() + CLOSE_GRACE_MS;
  while (server.connections.size > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const connection of server.connections) connection.terminate();
}
