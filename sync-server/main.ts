import { AppendQueue } from './appendQueue';
import { loadConfig } from './config';
import { CLOSE_RESTART } from './connection';
import type { RelayContext } from './context';
import { LocalFanout } from './fanout';
import { createLogger } from './log';
import { createRelayServer, type RelayServer } from './server';
import { openSqliteStorage } from './storage/sqlite';

/** How long shutdown waits for sockets to finish their close handshake before cutting them. */
const CLOSE_GRACE_MS = 3000;

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  for (const problem of loaded.problems) console.error(problem);
  process.exit(1);
}
const config = loaded.config;
const log = createLogger(config.logLevel);
const storage = openStorage();
const fanout = new LocalFanout();
const ctx: RelayContext = {
  config,
  storage,
  fanout,
  log,
  appendQueue: new AppendQueue(storage, fanout, log),
};
const relay = createRelayServer(ctx);

relay.http.on('error', (error) => {
  log.fatal({ err: error }, 'http server failed');
  process.exit(1);
});
relay.http.listen(config.port, config.host, () => {
  const address = relay.http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    { host: config.host, port, dataDir: config.dataDir, buildDir: config.buildDir },
    'relay listening',
  );
});

process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

let stopping = false;

function openStorage() {
  try {
    return openSqliteStorage(config.dataDir);
  } catch (error) {
    log.fatal({ err: error, dataDir: config.dataDir }, 'cannot open storage');
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
  for (const connection of connections) connection.close(CLOSE_RESTART, 'relay restarting');
  await socketsClosed(relay);
  await storage.close();
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
