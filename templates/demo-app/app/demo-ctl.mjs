// Service hooks of the demo application: `demo-ctl.mjs start|stop <config file>`.
// start: launches app/server.mjs detached and waits until it has written its pid file (it does so
// once listening); a service already running is left alone. stop: SIGTERM to the pid in the pid
// file, waits for the process to exit (SIGKILL after 10 s); a service not running is fine.
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [action, configPath] = process.argv.slice(2);
if (!["start", "stop"].includes(action ?? "") || !configPath) {
  process.stderr.write("usage: demo-ctl.mjs start|stop <config file>\n");
  process.exit(64);
}

const config = {};
for (const raw of readFileSync(configPath, "utf8").split("\n")) {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw.replace(/#.*/, "").trim());
  if (match) config[match[1]] = match[2];
}
const pidFile = config.pid_file;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A zombie (exited, not yet reaped by its new parent) counts as stopped.
const zombie = (pid) => {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return !zombie(pid);
  } catch (error) {
    return error.code === "EPERM";
  }
};
const runningPid = () => {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
};

if (action === "start") {
  if (runningPid()) process.exit(0);
  rmSync(pidFile, { force: true });
  const logFile = config.log_file ?? join(dirname(pidFile), "demo.log");
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, [join(here, "server.mjs"), configPath], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  let exited;
  child.on("exit", (code) => (exited = code));
  for (let waited = 0; waited < 15_000; waited += 50) {
    if (runningPid() === child.pid) process.exit(0);
    if (exited !== undefined) {
      process.stderr.write(`demo server exited with ${exited} (see ${logFile})\n`);
      process.exit(1);
    }
    await sleep(50);
  }
  process.stderr.write(`demo server did not write ${pidFile} within 15 s\n`);
  process.exit(1);
} else {
  const pid = runningPid();
  if (pid) {
    process.kill(pid, "SIGTERM");
    for (let waited = 0; alive(pid) && waited < 10_000; waited += 50) await sleep(50);
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(pidFile, { force: true });
}
