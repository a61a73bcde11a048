import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, ZopsError, localError } from "../../src/errors/index.js";

const failure = (code: string, syscall = "write", path = "/srv/x") =>
  Object.assign(new Error(`${code}: failed, ${syscall} '${path}'`), { code, syscall, path });

describe("local file-system errors", () => {
  it("maps errno to DISK_FULL, LOCAL_ACCESS or LOCAL_IO, naming the path, with a hint and the facts", () => {
    const cases = {
      ENOSPC: "DISK_FULL",
      EDQUOT: "DISK_FULL",
      EACCES: "LOCAL_ACCESS",
      EROFS: "LOCAL_ACCESS",
      EIO: "LOCAL_IO",
    };
    for (const [errno, code] of Object.entries(cases)) {
      const mapped = localError(failure(errno), "unable to write the restored file") as ZopsError;
      expect(mapped).toMatchObject({ code, details: { errno, syscall: "write", path: "/srv/x" } });
      expect(mapped.message).toMatch(new RegExp(`^unable to write the restored file: '/srv/x': .+ \\(${errno}\\)$`));
      expect(mapped.hint).toContain("'/srv/x'");
      expect(mapped.exitCode).not.toBe(ERROR_CODES.INTERNAL.exit);
    }
    expect((localError(failure("EROFS"), "x") as ZopsError).message).toContain("read-only file system");
  });

  it("names the path the caller gives over the system call's, and leaves other errors alone", async () => {
    expect(localError(failure("ENOSPC", "write", "/t/.zops-tmp-1"), "unable to write '/t/a'", "/t")).toMatchObject({
      message: "unable to write '/t/a': '/t': no space left on device (ENOSPC)",
    });
    const bug = new TypeError("undefined is not a function");
    expect(localError(bug, "x")).toBe(bug);
    const typed = new ZopsError("VERIFY_FAILED", "damaged");
    expect(localError(typed, "x")).toBe(typed);
    // A real errno error, as Node throws it.
    const dir = await mkdtemp(join(tmpdir(), "zops-errno-"));
    await writeFile(join(dir, "f"), "");
    const real = await open(join(dir, "f", "below"), "w").catch((error: unknown) => error);
    expect(localError(real, "unable to create the file")).toMatchObject({
      code: "LOCAL_IO",
      details: { errno: "ENOTDIR" },
    });
    await rm(dir, { recursive: true, force: true });
  });
});

describe("Node's recursive mkdir on a file system that is not writable", () => {
  it("says ENOENT, which the mapping corrects to what access(2) says (EROFS on a read-only mount)", async () => {
    if (process.getuid?.() !== 0) return;
    const { execa } = await import("execa");
    const { mkdir } = await import("node:fs/promises");
    const dir = await mkdtemp(join(tmpdir(), "zops-errno-ro-"));
    await execa("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    try {
      await execa("mount", ["-o", "remount,ro", dir]);
      const raw = await mkdir(join(dir, "a", "b"), { recursive: true }).catch((error: unknown) => error);
      expect(raw).toMatchObject({ code: "ENOENT", syscall: "mkdir" });
      expect(localError(raw, "unable to create the directory")).toMatchObject({
        code: "LOCAL_ACCESS",
        message: expect.stringContaining("read-only file system (EROFS)"),
        details: { errno: "EROFS" },
      });
    } finally {
      await execa("umount", [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
