// Key entry: kept in sessionStorage, checked at once against `/whoami`, and shown back as
// the roles it carries (never the key itself).
import { useId, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { useSession } from "../session";

export function KeyMenu() {
  const session = useSession();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState("");
  const who = session.identity;
  const needsKey = session.error instanceof ApiError && session.error.needsKey;
  const status = session.checking
    ? "checking…"
    : who
      ? who.kind === "local"
        ? "local mode (no keys exist)"
        : `${who.roles.join(", ") || "no role"} · ${who.subject}`
      : needsKey
        ? "key needed"
        : "not signed in";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    session.setKey(draft);
    setDraft("");
    setOpen(false);
  };

  return (
    <div className="key-menu">
      <button type="button" aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen(!open)} className={needsKey ? "attention" : ""}>
        Key: <span data-testid="identity">{status}</span>
      </button>
      {open ? (
        <form id={`${id}-panel`} className="key-panel" onSubmit={submit} aria-label="Enter an API key">
          <label htmlFor={`${id}-key`}>API key</label>
          <input
            id={`${id}-key`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            placeholder="obs_…"
            autoFocus
          />
          <p className="hint">Kept in this tab only (sessionStorage); sent as a bearer credential.</p>
          <div className="buttons">
            <button type="submit" disabled={!draft.trim()}>
              Use key
            </button>
            {session.key ? (
              <button
                type="button"
                onClick={() => {
                  session.setKey(null);
                  setOpen(false);
                }}
              >
                Forget key
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </div>
  );
}
