import type { ZopsConfig } from "../config/index.js";
import type { PostgresSettings } from "../pg/connect.js";

/** The application database's connection: deploy.database overrides over the postgres: section (pure). */
export const appDatabase = (config: Pick<ZopsConfig, "postgres" | "deploy">): PostgresSettings => ({
  host: config.deploy.database.host ?? config.postgres.host,
  port: config.deploy.database.port ?? config.postgres.port,
  user: config.deploy.database.user ?? config.postgres.user,
  database: config.deploy.database.name ?? config.postgres.database,
});
