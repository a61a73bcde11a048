import pg from "pg";
import type { ZopsConfig } from "../config/index.js";
import { ZopsError } from "../errors/index.js";

/** Connection settings zops uses for PostgreSQL (the `postgres:` config section). */
export type PostgresSettings = Pick<ZopsConfig["postgres"], "host" | "port" | "user" | "database">;

/**
 * A client that never crashes the process when the server goes away: node-pg emits a socket failure (EPIPE, a reset)
 * as an 'error' event, fatal without a listener; the failure still reaches the pending connect or query as a rejection.
 */
export const newPgClient = (config: pg.ClientConfig): pg.Client => {
  const client = new pg.Client(config);
  client.on("error", () => undefined);
  return client;
};

/**
 * Opens one client connection (socket directory or host name); throws POSTGRES naming the host and port with a hint.
 */
export const connectPostgres = async (
  settings: PostgresSettings,
  options: { database?: string; applicationName?: string } = {},
): Promise<pg.Client> => {
  const client = newPgClient({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    database: options.database ?? settings.database,
    application_name: options.applicationName ?? "zops",
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ZopsError(
      "POSTGRES",
      `unable to connect to PostgreSQL at ` +
        `${settings.host}:${settings.port} as '${settings.user}': ` +
        `${(error as Error).message}`,
      {
        hint:
          "check that PostgreSQL is running and postgres.host/port/user " +
          "in the config are right (host may be a socket directory)",
        cause: error,
      },
    );
  }
};

/** Runs `fn` with a connection and always closes it. */
export const withPostgres = async <T>(
  settings: PostgresSettings,
  fn: (client: pg.Client) => Promise<T>,
  options?: { database?: string },
): Promise<T> => {
  const client = await connectPostgres(settings, options);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};
