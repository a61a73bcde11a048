import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareLsn, formatLsn, parseLsn } from "../../src/pg/lsn.js";

describe("LSN maths", () => {
  it("formats what it parses, and orders like the byte positions", () => {
    const position = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(position, position, (a, b) => {
        expect(parseLsn(formatLsn(a))).toBe(a);
        expect(compareLsn(formatLsn(a), formatLsn(b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    expect(formatLsn(parseLsn("16/b374d848"))).toBe("16/B374D848");
  });

  it("refuses what is not an LSN", () => {
    expect(() => parseLsn("16B374D848")).toThrow(/'16B374D848' is not an LSN/);
  });
});
