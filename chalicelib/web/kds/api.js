// The kitchen's REST calls, on the shared client (chalicelib/web/common/api.js).
import { Client } from '../common/api.js';
import { clock } from '../common/clock.js';
import { startedAt } from './board.js';

export { ApiError, apiRoot, decodeToken, request } from '../common/api.js';

export class Api extends Client {
  // The board, held courses included (`held_items`): what is coming shows dimmed.
  async orders(station) {
    const body = await this.call('GET', '/orders', { query: { station, include: 'held' } });
    clock.observeOrders(body.data, startedAt); // elapsed_seconds counts from the first firing
    return body.data;
  }
  async setItemStatus(itemId, status) { return (await this.call('PATCH', `/items/${itemId}/status`, { body: { status } })).data; }
  async bump(orderId) { return (await this.call('POST', `/orders/${orderId}/bump`)).data; }
  async recall(orderId) { return (await this.call('POST', `/orders/${orderId}/recall`)).data; }
  // Marchar: every held item of course ≤ n goes to the kitchen (answers the sale; frames follow).
  fireCourse(orderId, course) { return this.call('POST', `/api/transacciones/${orderId}/cursos/${course}/marchar`); }
  setRush(orderId, rush) { return this.call('POST', `/api/transacciones/${orderId}/prioridad`, { body: { rush } }); }
  async platos() { return (await this.call('GET', '/api/platos')) || []; }
  setSoldOut(platoId, agotado) { return this.call('PATCH', `/api/platos/${platoId}`, { body: { agotado } }); }
  // Today's speed of service in the branch's zone (the server's default day), per station.
  today(station) { return this.call('GET', '/api/reportes/cocina', { query: { estacion: station } }); }
}

export function stationsOf(platos) {
  return [...new Set(platos.map((p) => p.estacion).filter(Boolean))].sort();
}
