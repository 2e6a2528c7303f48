import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { readKey } from "../lib/key";
import { SessionProvider } from "../session";
import { KeyMenu } from "./KeyMenu";

describe("KeyMenu", () => {
  it("keeps an entered key in sessionStorage only, and forgets it on request", async () => {
    render(
      <SessionProvider>
        <KeyMenu />
      </SessionProvider>,
    );
    await userEvent.click(screen.getByRole("button", { name: /Key:/ }));
    const input = screen.getByLabelText("API key") as HTMLInputElement;
    expect(input.type).toBe("password");
    await userEvent.type(input, "  obs_k1_secret  ");
    await userEvent.click(screen.getByRole("button", { name: "Use key" }));
    expect(readKey()).toBe("obs_k1_secret");
    expect(localStorage.length).toBe(0);
    expect(document.body.textContent).not.toContain("obs_k1_secret");
    await userEvent.click(screen.getByRole("button", { name: /Key:/ }));
    await userEvent.click(screen.getByRole("button", { name: "Forget key" }));
    expect(readKey()).toBeNull();
  });
});
