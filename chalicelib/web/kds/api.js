// The kitchen's REST calls, on the shared client (chalicelib/web/common/api.js).
import { Client } from '../common/api.js';
import { clock } from '../common/clock.js';

export { ApiError, apiRoot, decodeToken, request } from '../common/api.js';

export class Api extends Client {
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
