import type { TetherConfig } from "./config/index.ts";
import { createKeyRing, type KeyRing } from "./crypto/index.ts";
import { createApp, type App } from "./app.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createStore, type Store } from "./store/index.ts";

export interface CreateServerInput {
  config: TetherConfig;
  /** Default: JSON lines on stdout at `info`. */
  logger?: Logger;
  /** Default: the store `config.database` names, migrated at start-up. */
  store?: Store;
  /** Injected for tests: the provider-facing fetch and the clock. */
  fetch?: typeof fetch;
  now?: () => number;
}

export interface TetherServer {
  app: App;
  store: Store;
  keyRing: KeyRing;
  logger: Logger;
  config: TetherConfig;
  /** Stops background work and closes the store; the HTTP listener is the caller's to close first. */
  close(): Promise<void>;
}

/** Wires a Tether instance from its config: store (migrated), key ring, logger, routes. */
export async function createServer(input: CreateServerInput): Promise<TetherServer> {
  const { config } = input;
  const logger = input.logger ?? createLogger();
  const keyRing = createKeyRing(config.encryptionKeys);
  const store = input.store ?? (await createStore(config.database));
  await store.migrate();
  const app = createApp({ store, logger });
  let closed = false;
  return {
    app,
    store,
    keyRing,
    logger,
    config,
    async close() {
      if (closed) return;
      closed = true;
      await store.close();
    },
  };
}
