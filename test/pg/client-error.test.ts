import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPgClient } from "../../src/pg/connect.js";
import { startCluster, type TestCluster } from "../support/postgres.js";

// A drill's scratch cluster stopped while a client was connected once crashed the process with an unhandled
// 'error' event (write EPIPE from node-pg): the server going away must reach the caller as a rejected query only.

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.destroy();
});

describe("a PostgreSQL client whose server goes away", () => {
  it("rejects the next query instead of crashing the process", { timeout: 120_000 }, async () => {
    const client = newPgClient({ host: cluster.socketDir, port: cluster.port, user: "postgres", database: "postgres" });
    await client.connect();
    const [{ pid }] = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows as [{ pid: number }];
    const ended = new Promise((resolve) => client.once("end", resolve));
    await cluster.query("select pg_terminate_backend($1)", [pid]);
    await ended; // the socket closed with the client idle: node-pg emitted 'error' here, fatal without a listener
    await expect(client.query("select 1")).rejects.toThrow();
    await client.end().catch(() => undefined);
  });
});
