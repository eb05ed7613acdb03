// The point of sale's REST calls, on the shared client (chalicelib/web/common/api.js): the
// Restaurante routes (COMPAT A) and the kitchen's item status for serving.
import { Client } from '../common/api.js';

export class PosApi extends Client {
  profile() { return this.call('GET', '/api/auth/profile'); }
  branch() { return this.call('GET', '/api/sucursales/actual'); }
  cajaActual() { return this.call('GET', '/api/caja/actual'); }
  openCaja(counts) { return this.call('POST', '/api/caja/abrir', { body: counts }); }
  cajaSummary() { return this.call('GET', '/api/caja/resumen'); }
  expense(body) { return this.call('POST', '/api/caja/gastos', { body }); }
  closeCaja(counts) { return this.call('POST', '/api/caja/cerrar', { body: counts }); }
  dishes() { return this.call('GET', '/api/platos', { query: { limit: 200 } }); }
  ingredients() { return this.call('GET', '/api/ingredientes', { query: { limit: 200 } }); }
  sales() { return this.call('GET', '/api/transacciones', { query: { limit: 200 } }); }
  sale(id) { return this.call('GET', `/api/transacciones/${id}`); }
  createSale(body) { return this.call('POST', '/api/transacciones', { body }); }
  addItem(saleId, body, key) { return this.call('POST', `/api/transacciones/${saleId}/items`, { body, headers: { 'Idempotency-Key': key } }); }
  addExtra(saleId, itemId, body, key) {
    return this.call('POST', `/api/transacciones/${saleId}/items/${itemId}/extras`, { body, headers: { 'Idempotency-Key': key } });
  }
  removeItem(saleId, itemId) { return this.call('DELETE', `/api/transacciones/${saleId}/items/${itemId}`); }
  serve(itemUuid) { return this.call('PATCH', `/items/${itemUuid}/status`, { body: { status: 'served' } }); }
  pay(saleId, body, key) { return this.call('POST', `/api/transacciones/${saleId}/pagos`, { body, headers: { 'Idempotency-Key': key } }); }
}
