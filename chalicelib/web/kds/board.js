// The board's state (orders by id) and how it is drawn. Pure DOM, no framework.
import { clock } from './clock.js';
import { h } from '../common/dom.js';

export const NEXT_STATUS = { pending: 'preparing', preparing: 'ready' };
const ON_BOARD = new Set(['pending', 'confirmed', 'preparing']);

// An order stays on the kitchen board until all its items are ready (by taps or a bump: the
// server then counts the kitchen as done) or it is served or void. A table with a course still
// held stays too (its fired items may all be ready): the next course is coming.
export function onBoard(order) {
  const held = heldItems(order).length > 0;
  return (ON_BOARD.has(order.status) && (order.items.length > 0 || held)) || (order.status === 'ready' && held);
}

export function heldItems(order) { return order.held_items || []; }

// When the order's timer starts: its first firing (as the server's elapsed_seconds), else its creation.
export function startedAt(order) {
  const fired = order.items.map((i) => i.fired_at).filter(Boolean).sort();
  return fired[0] || order.created_at;
}

// The held items by course, lowest first: [[course, items], ...].
export function heldCourses(order) {
  const courses = new Map();
  for (const item of heldItems(order)) courses.set(item.course, [...(courses.get(item.course) || []), item]);
  return [...courses.entries()].sort((a, b) => a[0] - b[0]);
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

  // Rush orders first (as GET /orders), then oldest first.
  sorted() {
    return [...this.orders.values()].sort((a, b) => Number(Boolean(b.rush)) - Number(Boolean(a.rush))
      || Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
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

function heldSection(order, course, items, t, actions) {
  const title = `order-${order.id}-course-${course}`;
  return h('section', { class: 'course held', dataset: { course }, 'aria-labelledby': title },
    h('h3', { id: title }, t('course', { course }), ' ', h('span', { class: 'held-badge' }, t('held'))),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item held-item', dataset: { heldItemId: item.id, station: item.station || '' } },
      h('span', { class: 'item-line' }, h('span', { class: 'qty' }, `${item.quantity}×`), h('span', { class: 'name' }, item.name)),
      item.notes ? h('span', { class: 'notes' }, item.notes) : null,
      ...(item.extras || []).map((e) => h('span', { class: 'extra' }, t('extra', { qty: e.quantity, name: e.description })))))),
    actions.canFire ? h('button', { type: 'button', class: 'fire', dataset: { course },
      'aria-label': t('fireLabel', { course, id: order.id }), onclick: () => actions.onFire(order, course) }, t('fire', { course })) : null);
}

export function renderCard(order, t, actions) {
  // A home delivery's concepto and "waiter" are its customer again: the heading already names them.
  const showNotes = !order.delivery && order.notes && order.notes !== order.table && order.notes !== order.customer;
  const fired = order.items.length > 0;
  return h('article', { class: `card order-${order.status}${order.rush ? ' rush' : ''}${fired ? '' : ' all-held'}`,
    dataset: { orderId: order.id, createdAt: order.created_at, startedAt: fired ? startedAt(order) : '', rush: order.rush ? 'yes' : 'no' },
    'aria-labelledby': `order-${order.id}-title` },
  h('header', { class: 'card-head' },
    h('h2', { id: `order-${order.id}-title` }, order.rush ? h('span', { class: 'rush-marker' }, t('rush')) : null, order.rush ? ' ' : null,
      whereLabel(order, t), ' ', h('span', { class: 'number' }, t('orderNumber', { id: order.id }))),
    h('span', { class: 'timer', role: 'timer', 'aria-label': t('elapsed') }, '')),
  order.waiter && !order.delivery ? h('p', { class: 'waiter' }, t('waiter', { name: order.waiter })) : null,
  order.delivery ? h('p', { class: 'delivery-address' },
    [order.delivery.address, order.delivery.reference].filter(Boolean).join(' · ') || t('noAddress')) : null,
  showNotes ? h('p', { class: 'order-notes' }, order.notes) : null,
  fired ? h('ul', { class: 'items' }, order.items.map((item) => itemButton(order, item, t, actions.onTap))) : null,
  ...heldCourses(order).map(([course, items]) => heldSection(order, course, items, t, actions)),
  h('div', { class: 'card-actions' },
    actions.canRush ? h('button', { type: 'button', class: 'rush-toggle', 'aria-pressed': order.rush ? 'true' : 'false',
      'aria-label': t('rushLabel', { id: order.id }), onclick: () => actions.onRush(order, !order.rush) }, t('rush')) : null,
    fired ? h('button', { type: 'button', class: 'bump', 'aria-label': t('bumpLabel', { id: order.id }), onclick: () => actions.onBump(order) },
      t('bump')) : null));
}

export function tickTimers(root, settings) {
  const now = clock.now();
  for (const card of root.querySelectorAll('.card')) {
    const timer = card.querySelector('.timer');
    if (!card.dataset.startedAt) { // nothing fired yet: no clock runs
      timer.textContent = '';
      card.classList.remove('age-warn', 'age-late');
      card.classList.add('age-ok');
      continue;
    }
    const ms = now - Date.parse(card.dataset.startedAt);
    const text = formatElapsed(ms);
    if (timer.textContent !== text) timer.textContent = text;
    const age = ageClass(ms, settings);
    if (!card.classList.contains(age)) {
      card.classList.remove('age-ok', 'age-warn', 'age-late');
      card.classList.add(age);
    }
  }
}
