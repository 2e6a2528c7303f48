// Who the UI acts as: the key in sessionStorage and what the server says it may do
// (`GET /api/v1/whoami`). Controls a role may not use are not shown; the API refuses them
// anyway, so hiding is a courtesy, never the guard.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ApiError, getJson } from "./api/client";
import type { Identity } from "./api/types";
import { readKey, writeKey } from "./lib/key";

export interface Session {
  key: string | null;
  identity: Identity | null;
  /** Why the identity is unknown (a 401 without a key, a revoked key, a down server). */
  error: Error | null;
  checking: boolean;
  setKey: (key: string | null) => void;
  /** Bumped whenever the key changes, so views refetch with the new one. */
  generation: number;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [key, setKeyState] = useState<string | null>(() => readKey());
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [checking, setChecking] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setChecking(true);
    getJson<Identity>("/whoami", {}, controller.signal).then(
      (who) => {
        setIdentity(who);
        setError(null);
        setChecking(false);
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setIdentity(null);
        setError(reason instanceof Error ? reason : new ApiError(0, { detail: String(reason) }));
        setChecking(false);
      },
    );
    return () => controller.abort();
  }, [generation]);

  const setKey = useCallback((next: string | null) => {
    const cleaned = next?.trim() || null;
    writeKey(cleaned);
    setKeyState(cleaned);
    setGeneration((n) => n + 1);
  }, []);

  return (
    <SessionContext.Provider value={{ key, identity, error, checking, setKey, generation }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** Whether the session may change things (silences): its roles grant `admin`. */
export function canAdmin(session: Session): boolean {
  return session.identity?.permissions.includes("admin") ?? false;
}
