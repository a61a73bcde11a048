import { messageOf } from "../../errors/index.js";
import type { Probe, ProbeResult } from "../probe.js";

/**
 * PostgreSQL answers a query on the configured connection: the one place a connection failure is reported (the probes
 * that query PostgreSQL are skipped with its name instead of repeating the error).
 */
export const postgresProbe: Probe = async (context): Promise<ProbeResult> => {
  try {
    const [row] = await context.query<{ version: string; recovery: boolean }>(
      "select current_setting('server_version') as version, pg_is_in_recovery() as recovery",
    );
    return {
      name: "postgres",
      status: "ok",
      message: `PostgreSQL ${row?.version ?? "?"} answers${row?.recovery ? " (in recovery: a standby)" : ""}`,
      metrics: { postgres_up: 1 },
    };
  } catch (error) {
    return { name: "postgres", status: "critical", message: messageOf(error), metrics: { postgres_up: 0 } };
  }
};
