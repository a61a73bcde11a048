import { describe, expect, it } from "vitest";
import { ZopsError } from "../../src/errors/index.js";
import { restoreFailure, type RestoreProblem } from "../../src/restore/restore-failure.js";

// Pure: which class a failed restore ends as, and that only damaged data gets the "verify, restore another" hint.

const context = { backupId: "20261201T000000F", dir: "/srv/restore", neededBytes: 3 * 1024 ** 3 };
const damaged: RestoreProblem = { path: "base/1/1259", message: "file 'base/1/1259' in object 'k1' checksum mismatch" };
const diskFull: RestoreProblem = {
  path: "base/1/2600",
  message: "file 'base/1/2600' could not be written",
  local: { errno: "ENOSPC", syscall: "write", absolute: "/srv/restore/base/1/2600" },
};
const missing: RestoreProblem = {
  path: "base/1/2601",
  key: "backups/x/data/000002.zst",
  message: "object could not be read",
  readError: new ZopsError("STORAGE_NOT_FOUND", "object 'backups/x/data/000002.zst' not found"),
};
const stalled: RestoreProblem = {
  path: "base/1/2602",
  key: "backups/x/data/000003.zst",
  message: "object could not be read",
  readError: new ZopsError("STORAGE_UNREACHABLE", "timed out (gave up after 3 attempts)", { hint: "check the link" }),
};
const threadEnoent: RestoreProblem = {
  path: "base/1/2603",
  key: "backups/x/data/000004.zst",
  message: "object could not be read",
  readError: Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", syscall: "open" }),
};

describe("restoreFailure", () => {
  it("puts this machine's disk first, naming the file and the space needed", () => {
    const error = restoreFailure([damaged, missing, diskFull], context);
    expect(error).toMatchObject({ code: "DISK_FULL", details: { errno: "ENOSPC", neededBytes: context.neededBytes } });
    expect(error.message).toContain("/srv/restore/base/1/2600");
    expect(error.message).toContain("3.00 GiB");
    expect(error.hint).toMatch(/free space/);
    expect(error.details?.files).toEqual(["base/1/1259", "base/1/2601", "base/1/2600"]);
  });

  it("then the storage, each code with its own hint", () => {
    const gone = restoreFailure([damaged, missing], context);
    expect(gone).toMatchObject({ code: "STORAGE_NOT_FOUND", hint: expect.stringMatching(/gone from the repository/) });
    const slow = restoreFailure([stalled], context);
    expect(slow).toMatchObject({ code: "STORAGE_UNREACHABLE", hint: expect.stringMatching(/^check the link; then/) });
    expect(slow.message).toContain("gave up after 3 attempts");
    expect(restoreFailure([threadEnoent], context).code).toBe("STORAGE_NOT_FOUND");
    for (const error of [gone, slow]) expect(error.hint).not.toMatch(/zops verify/);
  });

  it("keeps VERIFY_FAILED and its hint for damaged data only", () => {
    const error = restoreFailure([damaged], context);
    expect(error).toMatchObject({ code: "VERIFY_FAILED", hint: expect.stringMatching(/zops verify/) });
  });
});
