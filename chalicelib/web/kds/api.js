// REST client: same origin as the page, one level above /display/ (the API Gateway stage on AWS).
import { clock } from './clock.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function apiRoot() {
  return new URL('..', document.baseURI);
}

function messageOf(body, fallback) {
  if (!body || typeof body !== 'object') return fallback;
  const raw = body.error?.message ?? body.message ?? fallback;
  return Array.isArray(raw) ? raw.join('; ') : String(raw);
}

export async function request(method, path, { token, body, query } = {}) {
  const url = new URL(path.replace(/^\//, ''), apiRoot());
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = { Accept: 'application/json' };
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
  if (!response.ok) throw new ApiError(response.status, messageOf(parsed, response.statusText));
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

export class Api {
  constructor(token) { this.token = token; }
  call(method, path, opts = {}) { return request(method, path, { ...opts, token: this.token }); }
  async orders(station) {
    const body = await this.call('GET', '/orders', { query: { station } });
    clock.observeOrders(body.data);
    return body.data;
  }
  async setItemStatus(itemId, status) { return (await this.call('PATCH', `/items/${itemId}/status`, { body: { status } })).data; }
  async bump(orderId) { return (await this.call('POST', `/orders/${orderId}/bump`)).data; }
  async recall(orderId) { return (await this.call('POST', `/orders/${orderId}/recall`)).data; }
  async stations() {
    const platos = await this.call('GET', '/api/platos');
    return [...new Set((platos || []).map((p) => p.estacion).filter(Boolean))].sort();
  }
}
