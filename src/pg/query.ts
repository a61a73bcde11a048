import type pg from "pg";
import { ZopsError } from "../errors/index.js";

/** Anything that runs SQL: a client or a pool. */
export type Queryable = Pick<pg.ClientBase, "query">;

const DEFAULT_HINT = "check the PostgreSQL log and that the configured postgres.user may run it";

/**
 * The POSTGRES error for a failed query: names what zops was doing (`purpose`, e.g. "reading the server facts") and
 * PostgreSQL's message and SQLSTATE. A ZopsError passes through unchanged. Pure.
 */
export const postgresError = (purpose: string, error: unknown, hint: string = DEFAULT_HINT): ZopsError => {
  if (error instanceof ZopsError) return error;
  const state = (error as { code?: unknown }).code;
  const sqlState = typeof state === "string" && /^[0-9A-Z]{5}$/.test(state) ? ` (SQLSTATE ${state})` : "";
  return new ZopsError("POSTGRES", `${purpose} failed: ${(error as Error)?.message ?? String(error)}${sqlState}`, {
    hint,
    cause: error,
    details: sqlState ? { sqlState: state } : undefined,
  });
};

/**
 * Runs one statement and returns its rows; read-only unless the SQL writes.
 * @throws POSTGRES naming `purpose` when PostgreSQL refuses it or the connection fails.
 */
export const queryRows = async <R extends pg.QueryResultRow>(
  client: Queryable,
  purpose: string,
  sql: string,
  params: unknown[] = [],
  hint?: string,
): Promise<R[]> => {
  try {
    return (await client.query<R>(sql, params)).rows;
  } catch (error) {
    throw postgresError(purpose, error, hint);
  }
};
