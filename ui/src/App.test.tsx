import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { App, pageIdentity } from "./App";
import { SessionProvider } from "./session";
import { ThemeProvider } from "./theme";

function renderAt(url: string) {
  window.history.replaceState(null, "", url);
  return render(
    <ThemeProvider>
      <SessionProvider>
        <App />
      </SessionProvider>
    </ThemeProvider>,
  );
}

describe("App", () => {
  it("draws the view the URL names, with its state filled in", () => {
    renderAt("/logs?q=level%3Aerror&since=2h");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Logs");
    expect((screen.getByLabelText("Query") as HTMLInputElement).value).toBe("level:error");
    expect((screen.getByLabelText("From") as HTMLInputElement).value).toBe("2h");
    expect(document.title).toBe("Logs: level:error · observability");
  });

  it("navigates by link without a reload, updating the URL and moving focus to the new page", async () => {
    renderAt("/logs");
    await userEvent.click(screen.getByRole("link", { name: "Alerts" }));
    expect(window.location.pathname).toBe("/alerts");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Alerts");
    expect(document.activeElement?.id).toBe("main");
    expect(screen.getByRole("link", { name: "Alerts" }).getAttribute("aria-current")).toBe("page");
  });

  it("follows the back button", async () => {
    renderAt("/logs");
    await userEvent.click(screen.getByRole("link", { name: "Alerts" }));
    window.history.back();
    await screen.findByRole("heading", { level: 1, name: "Logs" });
  });

  it("says plainly when the server cannot be reached", async () => {
    renderAt("/logs");
    const note = await screen.findByText(/^The server cannot be reached/);
    expect(note.closest("[role=alert]")?.textContent).toContain("Search: The server cannot be reached");
  });

  it("says so for a path that is no view", () => {
    renderAt("/nowhere");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Not found");
  });

  it("keeps focus where it is when only a page's range or query changes", () => {
    const base = { view: "model", model: "m", since: "", until: "", report: "", feature: "", resolution: "" } as const;
    expect(pageIdentity({ ...base, since: "7d" })).toBe(pageIdentity(base));
    expect(pageIdentity({ ...base, model: "other" })).not.toBe(pageIdentity(base));
    expect(pageIdentity({ view: "logs", q: "a", since: "", until: "" })).toBe(pageIdentity({ view: "logs", q: "b", since: "1h", until: "" }));
  });
});
