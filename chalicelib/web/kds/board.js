// The board's state (orders by id) and how it is drawn. Pure DOM, no framework.
import { clock } from './clock.js';
import { h } from '../common/dom.js';

export const NEXT_STATUS = { pending: 'preparing', preparing: 'ready' };
const ON_BOARD = new Set(['pending', 'confirmed', 'preparing']);

// An order stays on the kitchen board until all its items are ready (by taps or a bump: the
// server then counts the kitchen as done) or it is served or void.
export function onBoard(order) {
  return ON_BOARD.has(order.status) && order.items.length > 0;
}

export function formatElapsed(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(hours ? 2 : 1, '0');
  const ss = String(seconds).padStart(2, '0');
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function ageClass(ms, settings) {
  if (ms >= settings.lateMin * 60000) return 'age-late';
  if (ms >= settings.warnMin * 60000) return 'age-warn';
  return 'age-ok';
}

function newer(incoming, current) {
  return !current || !(Date.parse(current.updated_at) > Date.parse(incoming.updated_at));
}

export class Board {
  constructor() { this.orders = new Map(); }

  // Replace everything with what the server says (a resync).
  replace(orders) {
    const before = new Set(this.orders.keys());
    this.orders = new Map(orders.filter(onBoard).map((o) => [o.id, o]));
    return [...before].filter((id) => !this.orders.has(id));
  }

  // Returns 'added', 'updated', 'removed' or null (stale or nothing to do).
  upsert(order) {
    const current = this.orders.get(order.id);
    if (!newer(order, current)) return null;
    if (onBoard(order)) {
      this.orders.set(order.id, order);
      return current ? 'updated' : 'added';
    }
    if (current) {
      this.orders.delete(order.id);
      return 'removed';
    }
    return null;
  }

  // One item moved. Returns 'updated', 'removed', 'unknown' or null.
  applyItem(orderId, item, orderStatus) {
    const order = this.orders.get(orderId);
    if (!order) return 'unknown';
    const index = order.items.findIndex((i) => i.id === item.id);
    if (index < 0) return 'unknown';
    if (!newer(item, order.items[index])) return null;
    order.items[index] = item;
    order.status = orderStatus;
    if (!onBoard(order)) {
      this.orders.delete(orderId);
      return 'removed';
    }
    return 'updated';
  }

  sorted() {
    return [...this.orders.values()].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  }
}

function whereLabel(order, t) {
  if (order.delivery) return h('span', { class: 'where home-delivery' }, t('homeDelivery', { customer: order.delivery.customer || '' }));
  if (order.table) return h('span', { class: 'where table' }, t('table', { table: order.table.replace(/^mesa\s*/i, '') }));
  if (order.customer) return h('span', { class: 'where delivery' }, t('delivery', { customer: order.customer }));
  return h('span', { class: 'where counter' }, t('counter'));
}

function itemButton(order, item, t, onTap) {
  const next = NEXT_STATUS[item.status];
  return h('li', {},
    h('button', {
      type: 'button', class: `item status-${item.status}`, 'aria-disabled': next ? null : 'true',
      dataset: { itemId: item.id, status: item.status, station: item.station || '' },
      onclick: () => { if (next) onTap(order, item, next); },
    },
    h('span', { class: 'item-line' },
      h('span', { class: 'qty' }, `${item.quantity}×`),
      h('span', { class: 'name' }, item.name),
      h('span', { class: 'badge' }, t(`status_${item.status}`))),
    item.notes ? h('span', { class: 'notes' }, item.notes) : null,
    ...(item.extras || []).map((e) => h('span', { class: 'extra' }, t('extra', { qty: e.quantity, name: e.description }))),
    next ? h('span', { class: 'sr-only' }, t('itemHint', { next: t(`status_${next}`) })) : null));
}

export function renderCard(order, t, actions) {
  // A home delivery's concepto and "waiter" are its customer again: the heading already names them.
  const showNotes = !order.delivery && order.notes && order.notes !== order.table && order.notes !== order.customer;
  return h('article', { class: `card order-${order.status}`, dataset: { orderId: order.id, createdAt: order.created_at },
    'aria-labelledby': `order-${order.id}-title` },
  h('header', { class: 'card-head' },
    h('h2', { id: `order-${order.id}-title` }, whereLabel(order, t), ' ', h('span', { class: 'number' }, t('orderNumber', { id: order.id }))),
    h('span', { class: 'timer', role: 'timer', 'aria-label': t('elapsed') }, '')),
  order.waiter && !order.delivery ? h('p', { class: 'waiter' }, t('waiter', { name: order.waiter })) : null,
  order.delivery ? h('p', { class: 'delivery-address' },
    [order.delivery.address, order.delivery.reference].filter(Boolean).join(' · ') || t('noAddress')) : null,
  showNotes ? h('p', { class: 'order-notes' }, order.notes) : null,
  h('ul', { class: 'items' }, order.items.map((item) => itemButton(order, item, t, actions.onTap))),
  h('button', { type: 'button', class: 'bump', 'aria-label': t('bumpLabel', { id: order.id }), onclick: () => actions.onBump(order) },
    t('bump')));
}

export function tickTimers(root, settings) {
  const now = clock.now();
  for (const card of root.querySelectorAll('.card')) {
    const ms = now - Date.parse(card.dataset.createdAt);
    const timer = card.querySelector('.timer');
    const text = formatElapsed(ms);
    if (timer.textContent !== text) timer.textContent = text;
    const age = ageClass(ms, settings);
    if (!card.classList.contains(age)) {
      card.classList.remove('age-ok', 'age-warn', 'age-late');
      card.classList.add(age);
    }
  }
}
