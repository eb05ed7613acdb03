// The dashboard's REST calls, on the shared client (chalicelib/web/common/api.js). An owner looks
// at one branch at a time: every call carries it as X-Branch-Id (the API checks it is theirs).
import { ApiError, Client, apiRoot } from '../common/api.js';

export class PanelApi extends Client {
  constructor(token, branch = null) {
    super(token);
    this.branch = branch;
  }

  call(method, path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (this.branch) headers['X-Branch-Id'] = this.branch;
    return super.call(method, path, { ...opts, headers });
  }

  profile() { return this.call('GET', '/api/auth/profile'); }
  branches() { return this.call('GET', '/api/sucursales', { query: { limit: 100 } }); }
  currentBranch() { return this.call('GET', '/api/sucursales/actual'); }
  salesReport(query) { return this.call('GET', '/api/reportes/ventas', { query }); }
  cajasReport(query) { return this.call('GET', '/api/reportes/cajas', { query }); }
  kitchenReport(query) { return this.call('GET', '/api/reportes/cocina', { query }); }
  cajaSummary(id) { return this.call('GET', `/api/transacciones/caja/${id}/resumen`); }
  openCaja() { return this.call('GET', '/api/caja/actual'); }
  sales() { return this.call('GET', '/api/transacciones', { query: { limit: 200 } }); }
  audit(query) { return this.call('GET', '/api/auditoria', { query }); }
  users() { return this.call('GET', '/api/usuarios', { query: { limit: 200 } }); }
  createUser(body) { return this.call('POST', '/api/usuarios', { body }); }
  updateUser(id, body) { return this.call('PATCH', `/api/usuarios/${id}`, { body }); }
  deactivateUser(id) { return this.call('DELETE', `/api/usuarios/${id}`); }
  catalog(kind) { return this.call('GET', `/api/${kind}`, { query: { limit: 200 } }); }
  updateCatalog(kind, id, body) { return this.call('PATCH', `/api/${kind}/${id}`, { body }); }
  deactivateCatalog(kind, id) { return this.call('DELETE', `/api/${kind}/${id}`); }

  // A report as the API's CSV (`formato=csv`): { blob, filename }, read with this session's token.
  async csv(path, query) {
    const url = new URL(path.replace(/^\//, ''), apiRoot());
    for (const [key, value] of Object.entries({ ...query, formato: 'csv' })) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
    }
    const headers = { Authorization: `Bearer ${this.token}`, Accept: 'text/csv' };
    if (this.branch) headers['X-Branch-Id'] = this.branch;
    let response;
    try {
      response = await fetch(url, { headers, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, err.message || 'network');
    }
    if (!response.ok) {
      let message = response.statusText;
      try { const body = await response.json(); message = body.error?.message ?? body.message ?? message; } catch { /* not JSON */ }
      throw new ApiError(response.status, Array.isArray(message) ? message.join('; ') : String(message));
    }
    const named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
    return { blob: await response.blob(), filename: named ? named[1] : 'reporte.csv' };
  }
}
