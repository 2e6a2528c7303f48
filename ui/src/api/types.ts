// The API's answers as the UI reads them (the pydantic models of `dashboard/schemas.py`,
// the search result of `search/request.py`, alerting's records). Times are RFC 3339 text.

export interface Identity {
  kind: string;
  subject: string;
  roles: string[];
  permissions: string[];
}

export interface FeatureDrift {
  feature: string;
  method: string | null;
  score: number | null;
  threshold: number | null;
  drifted: boolean;
  status: string;
  windows?: number | null;
  drifted_windows?: number | null;
}

export interface DriftPoint {
  window_start: string;
  window_end: string;
  report_id: string | null;
  status: string;
  n_current: number;
  share_drifted: number | null;
  drifted_features: string[];
  features: FeatureDrift[];
}

export interface DriftTimeline {
  model: string;
  since: string;
  until: string;
  resolution: "window" | "day";
  source: "drift_metrics" | "sketches";
  points: DriftPoint[];
}

export interface PerformancePoint {
  window_start: string;
  window_end: string;
  predictions: number;
  labelled: number;
  label_coverage: number | null;
  metric: "accuracy" | "mae" | null;
  value: number | null;
  accuracy: number | null;
  mae: number | null;
  label_delay_p50_seconds: number | null;
  label_delay_p90_seconds: number | null;
}

export interface ModelPerformance {
  model: string;
  since: string;
  until: string;
  window_hours: number;
  points: PerformancePoint[];
}

export interface LastWindow {
  window_start: string;
  window_end: string;
  report_id: string;
  status: string;
  n_current: number;
  drifted_count: number;
  share_drifted: number | null;
  drifted_features: string[];
  computed_at: string | null;
}

export interface ModelSummary {
  model: string;
  configured: boolean;
  task: string | null;
  window_seconds: number | null;
  features: string[];
  last_window: LastWindow | null;
  performance: PerformancePoint | null;
}

export interface ModelList {
  models: ModelSummary[];
}

export interface ReportLinks {
  report: string;
  html: string | null;
  quality_html: string | null;
  view: string;
}

export interface ReportDetail {
  report_id: string;
  model: string;
  window_start: string;
  window_end: string;
  variants: Array<"drift" | "quality">;
  status: string | null;
  n_current: number | null;
  share_drifted: number | null;
  drifted_features: string[];
  features: FeatureDrift[];
  links: ReportLinks;
}

export interface Bucket {
  lower: number | null;
  upper: number | null;
  reference: number;
  current: number;
}

export interface Category {
  value: string;
  reference: number | null;
  current: number;
}

export interface FeatureDistribution {
  model: string;
  feature: string;
  kind: "numeric" | "categorical";
  window_start: string;
  window_end: string;
  report_id: string | null;
  source: "sketches" | "report";
  buckets: Bucket[];
  categories: Category[];
  summary: Record<string, number> | null;
  drift: FeatureDrift | null;
}

export interface ServiceSummary {
  service: string;
  records: number;
  errors: number;
  error_rate: number;
  requests: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
}

export interface ServiceList {
  since: string;
  until: string;
  services: ServiceSummary[];
}

export interface QueryRows {
  name: string;
  columns: string[];
  rows: Array<Record<string, unknown>>;
  truncated: boolean;
}

export interface SearchBucket {
  start: string;
  key: string;
  count: number;
}

export interface LogRecord {
  record_id?: string;
  timestamp?: string;
  level?: string;
  service?: string;
  event?: string;
  trace_id?: string | null;
  span_id?: string | null;
  [field: string]: unknown;
}

export interface SearchResult {
  hits: LogRecord[];
  total: number;
  next_cursor: string | null;
  backend: string;
  took_ms: number;
  aggregations?: { interval_ms: number; levels: SearchBucket[]; services: SearchBucket[] };
}

export interface Alert {
  fingerprint: string;
  rule: string;
  rule_group: string;
  state: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number | null;
  threshold: number | null;
  active_since: string | null;
  fired_at: string | null;
  resolved_at: string | null;
  /** The active silence muting it now, if any. */
  silenced_by: string | null;
  generator_url: string;
  links: Record<string, string>;
  context: Record<string, unknown>;
}

export interface AlertList {
  alerts: Alert[];
}

export interface AlertTransition {
  rule: string;
  rule_group: string;
  fingerprint: string;
  labels: Record<string, string>;
  from_state: string;
  to_state: string;
  severity: string;
  changed_at: string;
  value: number | null;
  threshold: number | null;
  summary: string;
  error: string | null;
}

export interface AlertHistoryPage {
  items: AlertTransition[];
  next_cursor: string | null;
}

export interface Silence {
  id: string;
  matchers: string[];
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
  created_at: string;
  state: "pending" | "active" | "expired";
}

export interface SilenceList {
  silences: Silence[];
}
