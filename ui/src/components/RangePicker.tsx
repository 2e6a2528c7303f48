// The time range of a view, Grafana-style: a preset (`7d` stays relative in the URL) or
// two bounds in the API's grammar. Nothing changes until the person applies it.
import { useEffect, useId, useState, type FormEvent } from "react";
import { parseInstant, type TimeRange } from "../lib/time";

export const PRESETS: ReadonlyArray<[string, string]> = [
  ["1h", "Last hour"],
  ["6h", "Last 6 hours"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["90d", "Last 90 days"],
];

/** A preset's label (a page's default range is one of them), else the value itself. */
export function presetLabel(value: string): string {
  return PRESETS.find(([preset]) => preset === value)?.[1] ?? value;
}

export interface RangePickerProps {
  range: TimeRange;
  onChange: (range: TimeRange) => void;
  /** What an empty `since` means in this view, e.g. “the week up to the last window”. */
  defaultLabel: string;
  now?: () => Date;
}

export function RangePicker({ range, onChange, defaultLabel, now = () => new Date() }: RangePickerProps) {
  const id = useId();
  const [since, setSince] = useState(range.since);
  const [until, setUntil] = useState(range.until);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSince(range.since);
    setUntil(range.until);
    setError(null);
  }, [range.since, range.until]);

  const preset = PRESETS.some(([value]) => value === range.since) && !range.until ? range.since : range.since ? "custom" : "";

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const moment = now();
    if (since && !parseInstant(since, moment)) return setError(`From: “${since}” is not a time`);
    if (until && !parseInstant(until, moment)) return setError(`To: “${until}” is not a time`);
    const start = since ? parseInstant(since, moment) : null;
    const end = until ? parseInstant(until, moment) : moment;
    if (start && end && !(start < end)) return setError("From must be before To");
    setError(null);
    onChange({ since: since.trim(), until: until.trim() });
  };

  return (
    <form className="range-picker" onSubmit={apply} aria-label="Time range">
      <label htmlFor={`${id}-preset`}>Range</label>
      <select
        id={`${id}-preset`}
        value={preset}
        onChange={(event) => {
          const value = event.target.value;
          if (value === "custom") return;
          setError(null);
          onChange({ since: value, until: "" });
        }}
      >
        <option value="">{defaultLabel}</option>
        {PRESETS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
        <option value="custom">Custom…</option>
      </select>
      <label htmlFor={`${id}-since`}>From</label>
      <input
        id={`${id}-since`}
        value={since}
        placeholder="7d or 2026-12-01T00:00Z"
        onChange={(event) => setSince(event.target.value)}
        size={22}
        aria-describedby={`${id}-help`}
      />
      <label htmlFor={`${id}-until`}>To</label>
      <input
        id={`${id}-until`}
        value={until}
        placeholder="now"
        onChange={(event) => setUntil(event.target.value)}
        size={22}
        aria-describedby={`${id}-help`}
      />
      <button type="submit">Apply</button>
      <span id={`${id}-help`} className="visually-hidden">
        A duration back from now (30m, 6h, 2d, 1w) or a date and time in UTC, such as 2026-12-03T13:00Z.
      </span>
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
