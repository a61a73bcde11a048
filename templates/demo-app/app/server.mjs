// Demo application for zops upgrades: a plain Node HTTP service that reads its config file
// (key = value lines), listens on the configured port, writes its pid file, and reports its
// version on GET /health. A build whose build.json says "healthy": false answers 503 there.
import { readFileSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const build = JSON.parse(readFileSync(join(here, "..", "build.json"), "utf8"));

// Parses `key = value` lines; `#` starts a comment.
export const readConfig = (path) => {
  const config = {};
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match) config[match[1]] = match[2];
  }
  return config;
};

const configPath = process.argv[2];
if (!configPath) {
  process.stderr.write("usage: server.mjs <config file>\n");
  process.exit(64);
}
const config = readConfig(configPath);
const port = Number(config.port);

const server = createServer((request, response) => {
  const body = (status, value) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(`${JSON.stringify(value)}\n`);
  };
  if (request.url === "/health") {
    return build.healthy
      ? body(200, { status: "ok", version: build.version })
      : body(503, { status: "failing", version: build.version });
  }
  if (request.url === "/")
    return body(200, { name: build.name, version: build.version, greeting: config.greeting ?? null });
  return body(404, { error: "not found" });
});

const stop = () => {
  server.close();
  rmSync(config.pid_file, { force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(port, "127.0.0.1", () => {
  mkdirSync(dirname(config.pid_file), { recursive: true });
  writeFileSync(config.pid_file, `${process.pid}\n`);
});
