// Signing in, the same in every web app: the form, the token kept for this tab, and what an
// expired, revoked or throttled session looks like. Each app passes its own strings (`t`) with the
// keys signIn, signingIn, username, password, tenant, badCredentials, throttled, networkError.
import { ApiError, decodeToken, request } from './api.js';
import { h } from './dom.js';

// The session's token for this tab (sessionStorage: a closed tab signs out), under `<app>.token`.
export class TokenStore {
  constructor(app) { this.key = `${app}.token`; }
  get token() { return sessionStorage.getItem(this.key); }
  set token(v) { if (v) sessionStorage.setItem(this.key, v); else sessionStorage.removeItem(this.key); }

  // The claims of a token still in date, or null (none kept, unreadable, or expired).
  claims() {
    const claims = this.token && decodeToken(this.token);
    if (!claims || (claims.exp && claims.exp * 1000 < Date.now())) return null;
    return claims;
  }
}

// What a failed login says: wrong credentials, a throttled login's wait, or the network.
export function loginFailure(err, t) {
  if (err instanceof ApiError && err.status === 429) return t('throttled', { seconds: err.retryAfter || 1 });
  if (err instanceof ApiError && (err.status === 401 || err.status === 400)) return t('badCredentials');
  return t('networkError');
}

// The sign-in form. `onSignedIn(reply)` gets POST /api/auth/login's answer, token already stored.
export function signInForm({ t, store, message = '', onSignedIn }) {
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message);
  const field = (name, label, type, autocomplete, required) => h('label', { class: 'field' }, h('span', {}, label),
    h('input', { name, type, autocomplete, required, autocapitalize: 'none', spellcheck: 'false' }));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signIn'));
  const form = h('form', { class: 'signin', onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { nombre_usuario: String(data.get('username')).trim(), contrasena: String(data.get('password')) };
    const tenant = String(data.get('tenant') || '').trim();
    if (tenant) body.tenant = tenant;
    submit.disabled = true;
    submit.textContent = t('signingIn');
    try {
      const reply = await request('POST', '/api/auth/login', { body });
      store.token = reply.access_token;
      onSignedIn(reply);
    } catch (err) {
      error.textContent = loginFailure(err, t);
      submit.disabled = false;
      submit.textContent = t('signIn');
    }
  } },
  field('username', t('username'), 'text', 'username', true),
  field('password', t('password'), 'password', 'current-password', true),
  field('tenant', t('tenant'), 'text', 'organization', false),
  error, submit);
  return { form, error };
}
