import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { RecordTable } from "./LogsPage";
import { hourlyByService } from "./OverviewPage";

const HITS = [
  { record_id: "r1", timestamp: "2026-12-03T10:00:00.120Z", level: "error", service: "checkout", event: "payment failed", trace_id: "4bf92f3577b34da6", attributes: { order: 7 } },
  { record_id: "r2", timestamp: "2026-12-03T10:00:00.020Z", level: "info", service: "api", event: "request", trace_id: null },
];

describe("RecordTable", () => {
  it("expands a record to its JSON and folds it again", async () => {
    render(<RecordTable hits={HITS} />);
    expect(screen.queryByTestId("record-json")).toBeNull();
    const toggle = screen.getByRole("button", { name: "Expand record payment failed" });
    await userEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(screen.getByTestId("record-json").textContent).toContain('"order": 7');
    await userEvent.click(screen.getByRole("button", { name: "Collapse record payment failed" }));
    expect(screen.queryByTestId("record-json")).toBeNull();
  });

  it("links a record's trace id to the trace view", () => {
    render(<RecordTable hits={HITS} />);
    expect(screen.getByRole("link", { name: "Trace 4bf92f3577b34da6" }).getAttribute("href")).toBe("/traces/4bf92f3577b34da6");
  });

  it("shows offsets from the first record in a trace", () => {
    render(<RecordTable hits={HITS} showOffset={Date.parse("2026-12-03T10:00:00.020Z")} />);
    expect(screen.getByText("+100 ms")).toBeTruthy();
  });
});

describe("hourlyByService", () => {
  it("aligns each service's hours, with no error rate where nothing was recorded", () => {
    const series = hourlyByService([
      { service: "api", dt: "2026-12-03", hour: "09", records: 10, errors: 1 },
      { service: "api", dt: "2026-12-03", hour: 10, records: 20, errors: 0 },
      { service: "checkout", dt: "2026-12-03", hour: "10", records: 4, errors: 2 },
    ]);
    expect(series.get("api")).toEqual({ records: [10, 20], errorRate: [0.1, 0] });
    expect(series.get("checkout")).toEqual({ records: [0, 4], errorRate: [null, 0.5] });
  });
});
