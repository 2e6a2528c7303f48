import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { JsonView } from "./JsonView";

describe("JsonView", () => {
  it("shows the top level open and nested objects folded until opened", async () => {
    const { container } = render(<JsonView value={{ event: "checkout failed", attributes: { order: 42, retry: true, note: null } }} />);
    const details = [...container.querySelectorAll("details")];
    expect(details).toHaveLength(2);
    expect(details[0]!.open).toBe(true);
    expect(details[1]!.open).toBe(false);
    expect(container.textContent).toContain('"event": "checkout failed"');
    await userEvent.click(screen.getByText(/"attributes"/));
    expect(details[1]!.open).toBe(true);
    expect(container.textContent).toContain('"order": 42');
    expect(container.querySelector(".json-null")?.textContent).toBe("null");
  });

  it("writes empty containers inline", () => {
    const { container } = render(<JsonView value={{ tags: [], extra: {} }} />);
    expect(container.textContent).toContain('"tags": []');
    expect(container.textContent).toContain('"extra": {}');
  });
});
