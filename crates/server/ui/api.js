// Calls to the chaintrail API with the key the user typed. The key lives in this tab's
// sessionStorage only (gone when the tab closes) and travels as `X-API-Key`, the header the
// server reads first.

const KEY_ITEM = 'chaintrail.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY_ITEM) || '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
}

/** A failed call: the server's JSON error (status, code, message), or the network's. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET (or POST with `body`, or `method`: PATCH, DELETE) `path`, answering the parsed JSON or
 * throwing an ApiFailure. */
export async function api(path, body, method) {
  const headers = { Accept: 'application/json' };
  const key = apiKey();
  if (key) headers['X-API-Key'] = key;
  const init = { headers, method: method || (body === undefined ? 'GET' : 'POST') };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiFailure(0, 'network', `cannot reach the server: ${e.message}`);
  }
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (json && json.error) || {};
    throw new ApiFailure(response.status, error.code || 'http_error',
      error.message || `the server answered ${response.status}`);
  }
  return json;
}

/** GET `path` as a Blob (a report in HTML or PDF), throwing an ApiFailure like `api`. */
export async function apiBlob(path) {
  const headers = {};
  const key = apiKey();
  if (key) headers['X-API-Key'] = key;
  let response;
  try {
    response = await fetch(path, { headers });
  } catch (e) {
    throw new ApiFailure(0, 'network', `cannot reach the server: ${e.message}`);
  }
  if (!response.ok) {
    const json = await response.json().catch(() => null);
    const error = (json && json.error) || {};
    throw new ApiFailure(response.status, error.code || 'http_error',
      error.message || `the server answered ${response.status}`);
  }
  return response.blob();
}

/** Offer `blob` as a download named `name` (a blob: URL of this page's own origin). */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Percent-encode one path segment. */
export const seg = encodeURIComponent;
