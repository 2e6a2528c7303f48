import { describe, expect, it } from "vitest";
import { formatInstant, parseDuration, parseInstant, pickInterval, resolveRange } from "./time";

const NOW = new Date("2026-12-03T12:00:00Z");

describe("time grammar", () => {
  it("reads durations in the API's units and refuses anything else", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("1w")).toBe(604_800_000);
    expect(parseDuration("0h")).toBeNull();
    expect(parseDuration("5y")).toBeNull();
    expect(parseDuration("h")).toBeNull();
  });

  it("reads instants with Z, an offset, or none (UTC), and counts durations back from now", () => {
    expect(parseInstant("2026-12-03", NOW)?.toISOString()).toBe("2026-12-03T00:00:00.000Z");
    expect(parseInstant("2026-12-03T13", NOW)?.toISOString()).toBe("2026-12-03T13:00:00.000Z");
    expect(parseInstant("2026-12-03T13:00+01:00", NOW)?.toISOString()).toBe("2026-12-03T12:00:00.000Z");
    expect(parseInstant("2026-12-03T13:00:00.250Z", NOW)?.toISOString()).toBe("2026-12-03T13:00:00.250Z");
    expect(parseInstant("6h", NOW)?.toISOString()).toBe("2026-12-03T06:00:00.000Z");
  });

  it("refuses dates that do not exist and text that is not a time", () => {
    expect(parseInstant("2026-02-30", NOW)).toBeNull();
    expect(parseInstant("yesterday", NOW)).toBeNull();
    expect(parseInstant("", NOW)).toBeNull();
  });

  it("writes instants in the server's canonical form (microseconds, Z)", () => {
    expect(formatInstant(new Date("2026-11-01T03:00:00Z"))).toBe("2026-11-01T03:00:00.000000Z");
  });

  it("resolves a range with a default start and says why a bad one is refused", () => {
    const fine = resolveRange({ since: "", until: "" }, NOW, "24h");
    expect(fine).toEqual({ ok: true, range: { start: new Date("2026-12-02T12:00:00Z"), end: NOW } });
    const reversed = resolveRange({ since: "2026-12-03T10:00Z", until: "2026-12-03T09:00Z" }, NOW, "24h");
    expect(reversed).toEqual({ ok: false, error: "the start must be before the end" });
    const bad = resolveRange({ since: "soon", until: "" }, NOW, "24h");
    expect(bad.ok).toBe(false);
  });

  it("picks a histogram interval that keeps the bucket count bounded", () => {
    expect(pickInterval(3_600_000)).toBe("1m");
    expect(pickInterval(86_400_000)).toBe("15m");
    expect(pickInterval(30 * 86_400_000)).toBe("6h");
    expect(pickInterval(10 * 365 * 86_400_000)).toBe("1w");
  });
});
