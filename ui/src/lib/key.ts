// The API key lives in sessionStorage: it survives reloads of the tab, never reaches
// another tab or a later session, and is sent only as `Authorization: Bearer`.

const STORAGE_KEY = "observability.api_key";

export function readKey(storage: Storage = sessionStorage): string | null {
  try {
    return storage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the app works without a key (local mode)
  }
}

export function writeKey(key: string | null, storage: Storage = sessionStorage): void {
  try {
    if (key) storage.setItem(STORAGE_KEY, key);
    else storage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: the key lasts as long as the page
  }
}
