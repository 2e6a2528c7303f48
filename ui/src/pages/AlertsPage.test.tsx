import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Alert } from "../api/types";
import { SilenceForm, groupAlerts, groupOf, matchersFor, silenceBody } from "./AlertsPage";

const alert = (state: string, name: string, silenced_by: string | null = null): Alert => ({
  fingerprint: name,
  rule: name,
  rule_group: "models",
  state,
  severity: "critical",
  labels: { alertname: name, severity: "critical", model: "fraud" },
  annotations: {},
  value: 1,
  threshold: 0.5,
  active_since: "2026-12-03T10:00:00Z",
  fired_at: "2026-12-03T10:00:00Z",
  resolved_at: null,
  silenced_by,
  generator_url: "",
  links: {},
  context: {},
});

describe("alerts helpers", () => {
  it("groups alerts in the order on-call reads them: firing first, silenced then resolved last", () => {
    const groups = groupAlerts([alert("resolved", "a"), alert("pending", "b"), alert("firing", "c"), alert("firing", "d", "s1")]);
    expect(groups.map(([group, list]) => [group, list.map((a) => a.fingerprint)])).toEqual([
      ["firing", ["c"]],
      ["pending", ["b"]],
      ["silenced", ["d"]],
      ["resolved", ["a"]],
    ]);
  });

  it("moves a silenced alert out of its state's group, but leaves resolved ones resolved", () => {
    expect(groupOf(alert("firing", "x", "s1"))).toBe("silenced");
    expect(groupOf(alert("resolved", "x", "s1"))).toBe("resolved");
    expect(groupOf(alert("firing", "x"))).toBe("firing");
  });

  it("writes matchers that select exactly an alert's labels, alertname first, severity left out", () => {
    expect(matchersFor({ severity: "critical", model: "fraud", alertname: "fraud-drift" })).toEqual(['alertname="fraud-drift"', 'model="fraud"']);
  });

  it("builds the silence request from the form: one matcher a line, blanks dropped", () => {
    expect(silenceBody('alertname="x"\n\n  model="m"  \n', "4h", "  retraining ")).toEqual({ matchers: ['alertname="x"', 'model="m"'], duration: "4h", comment: "retraining" });
  });

  it("fills the silence form with an alert's matchers, every field labelled", async () => {
    render(<SilenceForm initial={['alertname="fraud-drift"', 'model="fraud"']} onCreated={() => undefined} />);
    expect((screen.getByLabelText("Matchers, one a line") as HTMLTextAreaElement).value).toBe('alertname="fraud-drift"\nmodel="fraud"');
    await userEvent.selectOptions(screen.getByLabelText("For"), "1d");
    expect((screen.getByLabelText("For") as HTMLSelectElement).value).toBe("1d");
    expect(screen.getByLabelText("Why")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Create silence" })).toBeTruthy();
  });
});
