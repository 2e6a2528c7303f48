// Each test starts with an empty document and empty storages. Unit tests run offline, as a
// browser without a network would: every fetch fails at once (the API itself is exercised
// by the end-to-end run in tests/ui against a real server).
import { cleanup } from "@testing-library/react";
import { afterEach, beforeEach } from "vitest";

beforeEach(() => {
  globalThis.fetch = () => Promise.reject(new TypeError("Failed to fetch (unit tests run offline)"));
});

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  window.history.replaceState(null, "", "/");
});
