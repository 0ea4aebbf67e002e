// The daemon's HTTP API: URLs below the page's base path, the bearer token, JSON errors.

const TOKEN_KEY = 'husky.token';

// The page is always served at `<base_path>/`, so its directory is the API's root.
export const base = new URL('.', location.href);

// A token given in the address (`/?token=…`, the only way to load the page under bearer
// auth) is adopted for the session.
const tokenInUrl = new URLSearchParams(location.search).get('token');
if (tokenInUrl) sessionStorage.setItem(TOKEN_KEY, tokenInUrl);

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  // keep the address in step, so a reload still authenticates the page itself
  const url = new URL(location.href);
  url.searchParams.set('token', value);
  history.replaceState(history.state, '', url);
}

export class ApiError extends Error {
  constructor(status, body, method, path) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.method = method;
    this.path = path;
  }
}

// Listeners told about a 401 (the app shows the token prompt).
const authListeners = new Set();
export function onUnauthorized(listener) {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function url(path, query) {
  const target = new URL(path.replace(/^\//, ''), base);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') target.searchParams.set(key, value);
  }
  return target;
}

export async function request(method, path, { query, body } = {}) {
  const headers = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text.slice(0, 200) };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data, method, path);
    if (response.status === 401) {
      const challenge = response.headers.get('WWW-Authenticate') || '';
      for (const listener of authListeners) listener(error, challenge);
    }
    throw error;
  }
  return data;
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body, query) => request('POST', path, { body, query });

// A sentence for a failed call; a 403 names what the role may not do.
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error && error.message ? error.message : error);
  if (error.status === 403) {
    const { role, method, path } = error.body;
    if (role) return `Forbidden: the role "${role}" may not ${method} ${path}.`;
  }
  if (error.status === 401) return `Not signed in: ${error.message}.`;
  return error.message;
}

// The WebSocket URL of `path` (same origin and base path; the token as `?token=`).
export function wsUrl(path, query) {
  const target = url(path, { ...query, token: token() || undefined });
  target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  return target.toString();
}

// Which endpoints this daemon has, from its OpenAPI document, so that a view never asks
// for one an older daemon lacks. When the document cannot be read, assume all of them.
let known = null;
export async function loadCapabilities() {
  try {
    const doc = await get('/openapi.json');
    known = new Set(Object.keys(doc.paths || {}));
  } catch {
    known = null;
  }
}

export function has(path) {
  return known === null || known.has(path);
}
