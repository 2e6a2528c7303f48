// A record as collapsible JSON: objects and arrays fold, leaves are typed by colour.

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="json-bool">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

export function JsonView({ value, name, open = true }: { value: unknown; name?: string; open?: boolean }) {
  const label = name !== undefined ? <span className="json-key">{JSON.stringify(name)}: </span> : null;
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-line">
        {label}
        <Leaf value={value} />
      </div>
    );
  }
  const entries: Array<[string | undefined, unknown]> = Array.isArray(value)
    ? value.map((item) => [undefined, item])
    : Object.entries(value as Record<string, unknown>);
  const [openMark, closeMark] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0)
    return (
      <div className="json-line">
        {label}
        {openMark}
        {closeMark}
      </div>
    );
  return (
    <details className="json-node" open={open}>
      <summary>
        {label}
        {openMark}
        <span className="json-count">{entries.length} {Array.isArray(value) ? "items" : "fields"}</span>
      </summary>
      <div className="json-children">
        {entries.map(([key, item], index) => (
          <JsonView key={key ?? index} name={key} value={item} open={false} />
        ))}
      </div>
      <div className="json-line">{closeMark}</div>
    </details>
  );
}
