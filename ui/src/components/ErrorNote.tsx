import { ApiError } from "../api/client";

/** An error as a person should read it; 401/403 say what to do about the key. */
export function ErrorNote({ error, what }: { error: Error; what?: string }) {
  const kind = error instanceof ApiError ? (error.needsKey ? "auth" : error.forbidden ? "forbidden" : "error") : "error";
  return (
    <div className={`note note-${kind}`} role="alert">
      {what ? <strong>{what}: </strong> : null}
      {error.message}
    </div>
  );
}

/** A quiet line for “nothing to show”, saying why. */
export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}
