import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { presetLabel, RangePicker } from "./RangePicker";
import type { TimeRange } from "../lib/time";

const NOW = () => new Date("2026-12-03T12:00:00Z");

function setup(range: TimeRange = { since: "", until: "" }) {
  const changes: TimeRange[] = [];
  render(<RangePicker range={range} onChange={(r) => changes.push(r)} defaultLabel="Default range" now={NOW} />);
  return changes;
}

describe("RangePicker", () => {
  it("applies a preset at once, as a relative range", async () => {
    const changes = setup();
    await userEvent.selectOptions(screen.getByLabelText("Range"), "7d");
    expect(changes).toEqual([{ since: "7d", until: "" }]);
  });

  it("applies typed bounds in the API's grammar", async () => {
    const changes = setup();
    await userEvent.type(screen.getByLabelText("From"), "2026-12-01T00:00Z");
    await userEvent.type(screen.getByLabelText("To"), "2026-12-02");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(changes).toEqual([{ since: "2026-12-01T00:00Z", until: "2026-12-02" }]);
  });

  it("refuses a bound outside the grammar, saying which, and changes nothing", async () => {
    const changes = setup();
    await userEvent.type(screen.getByLabelText("From"), "last tuesday");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByRole("alert").textContent).toContain("From: “last tuesday” is not a time");
    expect(changes).toEqual([]);
  });

  it("refuses a start after the end", async () => {
    const changes = setup();
    await userEvent.type(screen.getByLabelText("From"), "2026-12-02");
    await userEvent.type(screen.getByLabelText("To"), "2026-12-01");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByRole("alert").textContent).toBe("From must be before To");
    expect(changes).toEqual([]);
  });

  it("shows the URL's range: a preset selected, custom bounds in the boxes", () => {
    setup({ since: "2026-12-01T00:00Z", until: "2026-12-02" });
    expect((screen.getByLabelText("Range") as HTMLSelectElement).value).toBe("custom");
    expect((screen.getByLabelText("From") as HTMLInputElement).value).toBe("2026-12-01T00:00Z");
  });
});

describe("presetLabel", () => {
  it("names a preset as the picker shows it, and leaves other values as they are", () => {
    expect(presetLabel("1h")).toBe("Last hour");
    expect(presetLabel("7d")).toBe("Last 7 days");
    expect(presetLabel("45m")).toBe("45m");
  });
});
