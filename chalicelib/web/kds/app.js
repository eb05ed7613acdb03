// The kitchen display: sign-in, board (courses, rush), actions, the menu's sold-out dishes, the
// "today" strip, live updates with polling fallback.
import { Api, ApiError, stationsOf } from './api.js';
import { Board, onBoard, renderCard, tickTimers } from './board.js';
import { LiveFeed, socketUrl } from './live.js';
import { Menu, menuButton, renderMenuPanel } from './menu.js';
import { can } from './roles.js';
import { Chime } from './sound.js';
import { LANGUAGES, translator } from './strings.js';
import { Throttle, renderToday } from './today.js';
import { h } from '../common/dom.js';
import { Shell } from '../common/shell.js';
import { TokenStore } from '../common/session.js';
import { Resync } from '../common/sync.js';

const params = new URLSearchParams(location.search);
const number = (name, fallback) => {
  const value = Number.parseFloat(params.get(name));
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
// Page settings, from the query string: ?warn=10&late=20 (minutes), ?poll=15 (seconds while
// offline), ?backoff=1000&backoffMax=30000 (ms), ?lang=es|en, ?ws=<socket URL>, ?today=5 (seconds
// between two reads of the today strip at most).
const settings = {
  todaySeconds: number('today', 5),
  warnMin: number('warn', 10),
  lateMin: number('late', 20),
  pollSeconds: number('poll', 15),
  backoffMs: number('backoff', 1000),
  backoffMaxMs: number('backoffMax', 30000),
  ws: params.get('ws'),
};

const session = new TokenStore('kds');
const store = {
  get token() { return session.token; },
  set token(v) { session.token = v; },
  get station() { return localStorage.getItem('kds.station') || ''; },
  set station(v) { localStorage.setItem('kds.station', v); },
  get recall() { try { return JSON.parse(localStorage.getItem('kds.recall') || '[]'); } catch { return []; } },
  set recall(v) { localStorage.setItem('kds.recall', JSON.stringify(v.slice(-10))); },
};

const root = document.getElementById('app');
const shell = new Shell({ app: 'kds', root, session, languages: LANGUAGES, translator, start: (user) => startBoard(user),
  stop: () => stopBoard() });
const t = (key, params) => shell.t(key, params);
const chime = new Chime();
const state = { api: null, claims: null, board: new Board(), feed: null, sync: null, tickTimer: null, stations: [], live: false,
  menu: new Menu(), menuOpen: false, today: null, todayReads: null };

// --- board ---------------------------------------------------------------------------------

function toast(message) {
  const el = root.querySelector('#toast');
  if (!el) return;
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

function branch() { return state.claims?.branch; }
function role() { return state.claims?.role; }
function channel() {
  return store.station ? `branch:${branch()}:kitchen:${store.station}` : `branch:${branch()}:kitchen`;
}

function rememberDeparted(id) {
  store.recall = [...store.recall.filter((x) => x !== id), id];
}

function startBoard(user) {
  const token = store.token;
  const claims = session.claims();
  if (!claims) { shell.signOut(token ? t('sessionExpired') : ''); return; }
  stopBoard();
  state.claims = claims;
  state.user = user || state.user;
  state.api = new Api(token);
  state.board = new Board();
  state.live = false;
  state.down = false;
  state.menu = new Menu();
  state.menuOpen = false;
  state.today = null;
  state.sync = new Resync({ load: (first) => load(first), pollSeconds: settings.pollSeconds });
  state.todayReads = can(claims.role, 'reports:kitchen') ? new Throttle(loadToday, settings.todaySeconds * 1000) : null;
  renderShell();
  resync(true);
  state.feed = new LiveFeed({
    url: socketUrl(token, settings.ws), channel: channel(), baseMs: settings.backoffMs, maxMs: settings.backoffMaxMs,
    also: [{ channel: `branch:${branch()}`, events: 'menu:' }], onEvent, onState,
  });
  state.feed.start();
  state.tickTimer = setInterval(() => tickTimers(root, settings), 1000);
  state.sync.startPolling(); // until the socket is live
  window.__kds = state;
}

function stopBoard() {
  if (state.feed) state.feed.stop();
  state.feed = null;
  clearInterval(state.tickTimer);
  if (state.sync) state.sync.stop();
  state.sync = null;
  if (state.todayReads) state.todayReads.stop();
  state.todayReads = null;
}

function onState(live) {
  state.live = live;
  state.down = !live;
  const banner = root.querySelector('#offline');
  if (banner) banner.hidden = live;
  document.body.dataset.live = live ? 'yes' : 'no';
  state.sync.socket(live); // live: a full resync; down: poll until it is back
}

function onEvent(event, data) {
  const board = state.board;
  if (event === 'menu:updated') {
    state.menu.apply(data);
    renderMenu();
    return;
  }
  if (state.todayReads) state.todayReads.poke(); // an item ready or a ticket done changes today's figures
  if (event === 'order:item_status') {
    const result = board.applyItem(data.order_id, data.item, data.order_status);
    if (result === 'removed') rememberDeparted(data.order_id);
    if (result === 'unknown') resync(false);
    else if (result) renderOrders();
    return;
  }
  const result = board.upsert(data);
  if (result === 'removed' && data.status === 'ready') rememberDeparted(data.id);
  if (result === 'added' && event === 'order:new') chime.play();
  if (result) renderOrders();
}

function resync(first) {
  return state.sync ? state.sync.now(first) : Promise.resolve();
}

async function load(first) {
  const api = state.api;
  try {
    const orders = await api.orders(store.station || undefined);
    if (api !== state.api) return;
    state.board.replace(orders);
    renderOrders();
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) { shell.signOut(t('notAllowed')); return; }
    if (!shell.failed(err) && !first) toast(t('networkError'));
    return;
  }
  if (state.todayReads) state.todayReads.poke();
  await loadMenu(api);
}

// The platos (the station picker and the menu panel): on every resync, since a frame may have been missed.
async function loadMenu(api) {
  try {
    const platos = await api.platos();
    if (api !== state.api) return;
    state.menu.replace(platos);
    state.stations = stationsOf(platos);
  } catch (err) {
    shell.failed(err);
    return;
  }
  renderHeader();
  renderMenu();
}

async function loadToday() {
  const api = state.api;
  const station = store.station || undefined;
  try {
    const report = await api.today(station);
    if (api !== state.api || station !== (store.station || undefined)) return;
    state.today = report;
  } catch (err) {
    shell.failed(err);
    return;
  }
  renderTodayStrip();
}

async function act(action) {
  try {
    return await action();
  } catch (err) {
    if (shell.failed(err)) return null;
    toast(t('actionFailed', { message: err.message || t('networkError') }));
    await resync(false); // the card shows what the server says
    return null;
  }
}

const actions = {
  get canFire() { return can(role(), 'transacciones:fire'); },
  get canRush() { return can(role(), 'transacciones:rush'); },
  async onTap(order, item, next) {
    const button = root.querySelector(`[data-item-id="${item.id}"]`);
    if (button) button.setAttribute('aria-busy', 'true');
    const reply = await act(() => state.api.setItemStatus(item.id, next));
    if (reply) {
      const { order_status: status, ...moved } = reply;
      if (state.board.applyItem(order.id, moved, status) === 'removed') rememberDeparted(order.id);
    }
    renderOrders();
  },
  async onBump(order) {
    const reply = await act(() => state.api.bump(order.id));
    if (reply && onBoard(reply)) {
      state.board.upsert(reply); // a course still held keeps the table on the board
    } else if (reply) {
      state.board.orders.delete(order.id);
      rememberDeparted(order.id);
    }
    renderOrders();
  },
  // Marchar curso n: the items move onto the card with the frame that follows; a refusal shows why.
  async onFire(order, course) {
    if (await act(() => state.api.fireCourse(order.id, course))) await resync(false);
  },
  async onRush(order, rush) {
    if (await act(() => state.api.setRush(order.id, rush))) await resync(false);
  },
};

async function markSoldOut(plato, agotado) {
  const reply = await act(() => state.api.setSoldOut(plato.id, agotado));
  if (reply) state.menu.apply(reply);
  renderMenu();
}

async function recallLast() {
  const stack = store.recall;
  const id = stack[stack.length - 1];
  if (id === undefined) return;
  store.recall = stack.slice(0, -1);
  const reply = await act(() => state.api.recall(id));
  if (reply) state.board.upsert(reply);
  renderOrders();
}

function renderShell() {
  shell.applyLanguage();
  root.replaceChildren(
    h('header', { class: 'topbar', id: 'topbar' }),
    h('div', { class: 'subbar', id: 'subbar' }, h('div', { id: 'today-slot' }), h('div', { id: 'menu-slot' })),
    h('div', { class: 'offline', id: 'offline', role: 'status', hidden: true }, t('offline', { seconds: settings.pollSeconds })),
    h('div', { class: 'toast', id: 'toast', role: 'alert', hidden: true }),
    h('main', { class: 'board', id: 'board', 'aria-live': 'polite' }),
    h('div', { id: 'menu-panel-slot' }),
  );
  root.querySelector('#offline').hidden = !state.down;
  renderHeader();
  renderTodayStrip();
  renderMenu();
  renderOrders();
}

function renderTodayStrip() {
  const slot = root.querySelector('#today-slot');
  if (slot) slot.replaceChildren(state.todayReads ? renderToday(state.today, t) : '');
}

function toggleMenu(open = !state.menuOpen) {
  state.menuOpen = open;
  renderMenu();
  const target = root.querySelector(open ? '#menu-panel .menu-close' : '#menu-open');
  if (target) target.focus();
}

function renderMenu() {
  const slot = root.querySelector('#menu-slot');
  if (!slot) return;
  slot.replaceChildren(menuButton(state.menu, t, { open: state.menuOpen, onToggle: () => toggleMenu() }));
  const panelSlot = root.querySelector('#menu-panel-slot');
  const focused = document.activeElement?.closest?.('[data-plato-id]')?.dataset.platoId;
  panelSlot.replaceChildren(state.menuOpen ? renderMenuPanel(state.menu, t, {
    canMark: can(role(), 'catalog:sold_out'), onMark: markSoldOut, onClose: () => toggleMenu(false) }) : '');
  if (focused) panelSlot.querySelector(`[data-plato-id="${focused}"] button`)?.focus(); // keep the place after a redraw
}

function renderHeader() {
  const bar = root.querySelector('#topbar');
  if (!bar) return;
  const select = h('select', { id: 'station', name: 'station', onchange: (e) => {
    store.station = e.target.value;
    if (state.feed) state.feed.switchChannel(channel());
    state.board = new Board();
    state.today = null;
    renderOrders();
    renderTodayStrip();
    resync(false);
  } },
  h('option', { value: '' }, t('allStations')),
  ...[...new Set([...state.stations, store.station].filter(Boolean))].map((s) => h('option', { value: s }, s)));
  select.value = store.station;
  const recallId = store.recall[store.recall.length - 1];
  const sound = h('button', { type: 'button', class: `sound ${chime.enabled ? 'on' : 'off'}`, 'aria-pressed': chime.enabled ? 'true' : 'false',
    onclick: async () => { await chime.enable(); renderHeader(); } }, chime.enabled ? t('soundOn') : t('soundOff'));
  bar.replaceChildren(
    h('h1', {}, 'Comanda · ', t('appTitle')),
    h('span', { class: 'count', id: 'count' }, t('ordersCount', { count: state.board.orders.size })),
    h('label', { class: 'station', for: 'station' }, t('station')), select,
    sound,
    h('button', { type: 'button', class: 'recall', id: 'recall', disabled: recallId === undefined, onclick: recallLast },
      recallId === undefined ? t('recallLast') : t('recallOrder', { id: recallId })),
    shell.languageButton(() => { renderShell(); }),
    h('button', { type: 'button', class: 'signout', onclick: () => shell.signOut() }, t('signOut')),
  );
}

function renderOrders() {
  const main = root.querySelector('#board');
  if (!main) return;
  const orders = state.board.sorted();
  main.replaceChildren(...(orders.length
    ? orders.map((o) => renderCard(o, t, actions))
    : [h('p', { class: 'empty' }, t('empty'))]));
  tickTimers(root, settings);
  const count = root.querySelector('#count');
  if (count) count.textContent = t('ordersCount', { count: orders.length });
  const recall = root.querySelector('#recall');
  if (recall) {
    const recallId = store.recall[store.recall.length - 1];
    recall.disabled = recallId === undefined;
    recall.textContent = recallId === undefined ? t('recallLast') : t('recallOrder', { id: recallId });
  }
}

document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.menuOpen) toggleMenu(false); });

shell.applyLanguage();
if (store.token) startBoard(); else shell.showSignIn();
