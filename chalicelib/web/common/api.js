// The REST client every web app uses: same origin as the page, one level above the app's folder
// (/display/, /pos/; the API Gateway stage on AWS). Errors carry the API's own message.
import { clock } from './clock.js';

export class ApiError extends Error {
  constructor(status, message, { retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter; // seconds, on a 429 or 503
  }

  get network() { return this.status === 0; }
}

export function apiRoot() {
  return new URL('..', document.baseURI);
}

function messageOf(body, fallback) {
  if (!body || typeof body !== 'object') return fallback;
  const raw = body.error?.message ?? body.message ?? fallback;
  return Array.isArray(raw) ? raw.join('; ') : String(raw);
}

export async function request(method, path, { token, body, query, headers: extra } = {}) {
  const url = new URL(path.replace(/^\//, ''), apiRoot());
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = { Accept: 'application/json', ...(extra || {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, err.message || 'network');
  }
  clock.observeDateHeader(response.headers.get('Date'));
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  if (!response.ok) {
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') || '', 10);
    throw new ApiError(response.status, messageOf(parsed, response.statusText), { retryAfter: Number.isFinite(retryAfter) ? retryAfter : null });
  }
  return parsed;
}

export function decodeToken(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '=')));
  } catch {
    return null;
  }
}

// A client bound to one session's token; each app extends it with its own calls.
export class Client {
  constructor(token) { this.token = token; }
  call(method, path, opts = {}) { return request(method, path, { ...opts, token: this.token }); }
}

// A fresh key for a command that must happen once (Idempotency-Key): reuse it for every retry.
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
