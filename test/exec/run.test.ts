import { describe, expect, it } from "vitest";
import { ZopsError } from "../../src/errors/index.js";
import { run } from "../../src/exec/run.js";
import { shellQuote, zopsCommand } from "../../src/exec/self-command.js";

describe("exec wrapper", () => {
  it("runs an argv array without a shell and returns the same shape on success and failure", async () => {
    const ok = await run("sh", ["-c", "printf '%s' \"$0\"", "a b; echo injected"]);
    expect(ok).toMatchObject({ failed: false, exitCode: 0, stdout: "a b; echo injected" });
    const failed = await run("sh", ["-c", "echo oops >&2; exit 3"], { reject: false });
    expect(failed).toMatchObject({ failed: true, exitCode: 3, stderr: "oops" });
    expect(Object.keys(failed).sort()).toEqual(Object.keys(ok).sort());
  });

  it("throws a ZopsError naming the command, exit status and stderr, with secrets redacted", async () => {
    const error = await run("sh", ["-c", "echo password=hunter2 >&2; exit 4", "hunter2"], {
      redact: ["hunter2"],
      errorCode: "POSTGRES",
      hint: "do X",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZopsError);
    expect((error as ZopsError).code).toBe("POSTGRES");
    expect((error as ZopsError).message).toContain("exited with 4");
    expect((error as ZopsError).message).toContain("password=***");
    expect((error as ZopsError).message).not.toContain("hunter2");
    expect((error as ZopsError).hint).toBe("do X");
  });

  it("streams output lines to a callback and enforces timeouts", async () => {
    const lines: string[] = [];
    await run("sh", ["-c", "echo one; echo two >&2"], { onLine: (line) => lines.push(line) });
    expect(lines.sort()).toEqual(["one", "two"]);
    const slow = await run("sleep", ["5"], { timeoutMs: 200, reject: false });
    expect(slow.timedOut).toBe(true);
  });

  it("runs the bundled zops itself", async () => {
    if (process.getuid?.() === 0) expect(process.env.ZOPS_SELF).toContain("zops-self-");
    const [file, ...args] = zopsCommand();
    const result = await run(file ?? "zops", [...args, "--version"]);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(shellQuote(["node", "/a b/zops.js", "wal-fetch", "%f", "%p", "it's"])).toBe(
      "node '/a b/zops.js' wal-fetch %f %p 'it'\\''s'",
    );
  });
});
