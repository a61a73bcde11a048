import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatNagios, formatPrometheus, resolveCheckFormat } from "../../src/check/format.js";
import { METRICS, type MetricName } from "../../src/check/metrics.js";
import type { ProbeResult, ProbeStatus } from "../../src/check/probe.js";
import { PROBES } from "../../src/check/registry.js";
import { promtoolProblems } from "../support/promtool.js";

// The output formats of `zops check` over generated probe results: any statuses, any subset of the catalog's
// metrics, any values (NaN, infinities, huge, negative), probes skipped because another failed. promtool must find
// nothing, and the Nagios line must name each cause once.
const NAMES = Object.keys(METRICS) as MetricName[];
const value = fc.oneof(
  fc.integer({ min: -1e9, max: 1e12 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1e21, 5e-324),
);
const status = fc.constantFrom<ProbeStatus>("ok", "warning", "critical", "unknown");
const results = fc
  .tuple(
    fc.subarray(
      PROBES.map((probe) => probe.name),
      { minLength: 1 },
    ),
    fc.array(fc.tuple(fc.constantFrom(...NAMES), value), { maxLength: 30 }),
    fc.array(status, { minLength: PROBES.length, maxLength: PROBES.length }),
    fc.array(fc.boolean(), { minLength: PROBES.length, maxLength: PROBES.length }),
  )
  .map(([names, metrics, statuses, skips]): ProbeResult[] =>
    names.map((name, index) => {
      const skipped = (skips[index] ?? false) && index > 0 ? names[0] : undefined;
      return {
        name,
        status: skipped ? "unknown" : (statuses[index] ?? "ok"),
        message: skipped ? `skipped: ${skipped} failed` : `message of ${name} | with a pipe\nand a newline`,
        metrics: skipped ? {} : Object.fromEntries(metrics.filter((_, position) => position % names.length === index)),
        ...(skipped ? { skippedBecause: skipped } : {}),
      };
    }),
  );

describe("zops check output formats", () => {
  it("prometheus output passes promtool check metrics for generated probe results", async () => {
    await fc.assert(
      fc.asyncProperty(results, async (generated) => {
        const text = formatPrometheus(generated, new Date(1_800_000_000_000));
        expect(await promtoolProblems(text), text).toEqual([]);
        for (const result of generated) expect(text).toContain(`zops_check_status{probe="${result.name}"}`);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("every catalogued metric at once lints clean (each with HELP and TYPE; counters end in _total)", async () => {
    const all = Object.fromEntries(NAMES.map((name) => [name, 1])) as Record<MetricName, number>;
    const text = formatPrometheus([{ name: "all", status: "ok", message: "", metrics: all }], new Date());
    expect(await promtoolProblems(text)).toEqual([]);
    for (const name of NAMES) {
      expect(text).toContain(`# HELP zops_${name} `);
      expect(text).toContain(`# TYPE zops_${name} ${METRICS[name].type}`);
      expect(METRICS[name].type === "counter").toBe(name.endsWith("_total"));
    }
  });

  it("the Nagios line names each cause once and lists the probes skipped because of it", () => {
    fc.assert(
      fc.property(results, (generated) => {
        const line = formatNagios(generated);
        expect(line.split("\n")).toHaveLength(1);
        const [summary = ""] = line.split(" | ");
        for (const result of generated) {
          if (result.skippedBecause !== undefined) {
            expect(summary).not.toContain(`${result.name}: skipped`);
            expect(summary).toContain(`skipped because ${result.skippedBecause} failed:`);
          } else if (result.status !== "ok") expect(summary).toContain(`${result.name}: message of ${result.name}`);
        }
        const causes = new Set(generated.flatMap((result) => result.skippedBecause ?? []));
        for (const cause of causes) expect(summary.split(`skipped because ${cause} failed:`)).toHaveLength(2);
      }),
    );
  });

  it("--json and another --format contradict: a usage error, never a silent pick", () => {
    expect(resolveCheckFormat(true, undefined)).toBe("json");
    expect(resolveCheckFormat(true, "json")).toBe("json");
    expect(resolveCheckFormat(false, undefined)).toBe("text");
    expect(resolveCheckFormat(false, "prometheus")).toBe("prometheus");
    for (const format of ["text", "nagios", "prometheus"] as const)
      expect(() => resolveCheckFormat(true, format)).toThrow(
        expect.objectContaining({ code: "USAGE", message: expect.stringContaining("contradict") }),
      );
  });
});
