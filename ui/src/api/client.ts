// The one way the UI talks to the API: JSON over fetch, the key as a bearer credential,
// RFC 9457 problems turned into ApiError with a message a person can act on.
import { readKey } from "../lib/key";

export const API = "/api/v1";

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(explain(status, problem));
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  /** 401: no key, or the key is not valid (revoked, mistyped). */
  get needsKey(): boolean {
    return this.status === 401;
  }

  /** 403: the key is valid but its role may not do this. */
  get forbidden(): boolean {
    return this.status === 403;
  }
}

/** What to tell a person, by status: the server's detail, and what to do about it. */
export function explain(status: number, problem: Problem): string {
  const detail = problem.detail ?? problem.title ?? "";
  if (status === 401)
    return `The API did not accept the request without a valid key: ${detail || "sign in"}. Enter an API key (Key, top right).`;
  if (status === 403)
    return `Your key may not do this: ${detail || "its role does not permit it"}. Ask an admin for a key with the needed role.`;
  if (status === 404) return `Not found: ${detail || "nothing at this address"}.`;
  if (status === 0) return `The server cannot be reached: ${detail}.`;
  return `${problem.title ?? `HTTP ${status}`}${detail && detail !== problem.title ? `: ${detail}` : ""}`;
}

export type Params = Record<string, string | number | boolean | null | undefined | string[]>;

/** `path?params` with empty values left out and lists repeated (`level=a&level=b`). */
export function apiUrl(path: string, params: Params = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) value.forEach((item) => query.append(name, item));
    else query.set(name, String(value));
  }
  const text = query.toString();
  return `${API}${path}${text ? `?${text}` : ""}`;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = readKey();
  return { Accept: "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
}

async function fail(response: Response): Promise<never> {
  let problem: Problem = { title: response.statusText };
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object") problem = body as Problem;
  } catch {
    // not JSON: keep the status text
  }
  throw new ApiError(response.status, problem);
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: error instanceof Error ? error.message : String(error) });
  }
}

/** GET a JSON document. */
export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const response = await send(apiUrl(path, params), { headers: headers(), signal });
  if (!response.ok) return fail(response);
  return (await response.json()) as T;
}

/** GET a text document (a report's HTML). */
export async function getText(path: string, params: Params = {}, signal?: AbortSignal): Promise<string> {
  const response = await send(apiUrl(path, params), { headers: headers({ Accept: "text/html" }), signal });
  if (!response.ok) return fail(response);
  return response.text();
}

/** POST, PUT or DELETE with an optional JSON body; the JSON answer, or null for 204. */
export async function sendJson<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T | null> {
  const init: RequestInit = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await send(apiUrl(path), init);
  if (!response.ok) return fail(response);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? (JSON.parse(text) as T) : null;
}
