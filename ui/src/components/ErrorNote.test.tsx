import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError, apiUrl } from "../api/client";
import { ErrorNote } from "./ErrorNote";

describe("ErrorNote and ApiError", () => {
  it("says a 401 needs a key and where to enter it", () => {
    const error = new ApiError(401, { title: "Unauthorized", detail: "this request needs a credential" });
    render(<ErrorNote error={error} what="Drift" />);
    const note = screen.getByRole("alert");
    expect(note.className).toContain("note-auth");
    expect(note.textContent).toBe("Drift: The API did not accept the request without a valid key: this request needs a credential. Enter an API key (Key, top right).");
    expect(error.needsKey).toBe(true);
  });

  it("says a 403 is the key's role, with the server's reason", () => {
    const error = new ApiError(403, { detail: "this request needs the role admin; the credential has viewer" });
    render(<ErrorNote error={error} />);
    expect(screen.getByRole("alert").textContent).toBe(
      "Your key may not do this: this request needs the role admin; the credential has viewer. Ask an admin for a key with the needed role.",
    );
    expect(error.forbidden).toBe(true);
  });

  it("shows other problems by title and detail", () => {
    expect(new ApiError(400, { title: "Bad Request", detail: "since: bad time" }).message).toBe("Bad Request: since: bad time");
    expect(new ApiError(0, { detail: "Failed to fetch" }).message).toBe("The server cannot be reached: Failed to fetch.");
  });

  it("builds API URLs without empty parameters and with lists repeated", () => {
    expect(apiUrl("/search", { q: "", level: ["error", "critical"], size: 50, search_after: null })).toBe("/api/v1/search?level=error&level=critical&size=50");
  });
});
