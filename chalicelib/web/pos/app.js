// The point of sale: sign-in, caja, the floor, an order, payment and the receipt, on the REST
// API, with live updates from the branch's channel and polling while the socket is down.
import { ApiError, idempotencyKey } from '../common/api.js';
import { clock } from '../common/clock.js';
import { h } from '../common/dom.js';
import { Shell } from '../common/shell.js';
import { LiveFeed, backoffDelay, socketUrl } from '../common/live.js';
import { TokenStore } from '../common/session.js';
import { Resync } from '../common/sync.js';
import { PosApi } from './api.js';
import { DENOMINATIONS, bs, cents, countTotal, toMoney } from './money.js';
import { can } from './roles.js';
import { LANGUAGES, translator } from './strings.js';

const params = new URLSearchParams(location.search);
const number = (name, fallback) => {
  const value = Number.parseFloat(params.get(name));
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
// Page settings, from the query string: ?mesas=12 (tables on the floor when the branch lists none
// in its settings), ?poll=15 (seconds
// while offline), ?backoff=1000&backoffMax=30000 (ms), ?retries=5 (network retries of an action),
// ?lang=es|en, ?ws=<socket URL>.
const settings = {
  tables: Math.floor(number('mesas', 12)),
  pollSeconds: number('poll', 15),
  backoffMs: number('backoff', 1000),
  backoffMaxMs: number('backoffMax', 30000),
  retries: Math.floor(number('retries', 5)),
  ws: params.get('ws'),
};

const session = new TokenStore('pos');
const root = document.getElementById('app');
const shell = new Shell({ app: 'pos', root, session, languages: LANGUAGES, translator, start: (user) => start(user),
  stop: () => stop() });
const t = (key, params) => shell.t(key, params);
const OPEN_SALE = new Set(['pendiente', 'abierto']);
const state = {
  api: null, claims: null, user: null, feed: null, sync: null, down: false,
  view: 'floor', saleId: null, sales: new Map(), dishes: [], ingredients: [], category: '', query: '', branch: null,
  round: [], dish: null, pendingPayment: null, paying: false, caja: null, closing: null,
};
window.__pos = state;

const role = () => state.claims?.role;

// --- session ---------------------------------------------------------------------------------

async function start(user) {
  const claims = session.claims();
  if (!claims) { shell.signOut(session.token ? t('sessionExpired') : ''); return; }
  if (!can(claims.role, 'transacciones:write')) { shell.signOut(t('notAllowed')); return; }
  stop();
  Object.assign(state, { claims, user: user || state.user, api: new PosApi(session.token), down: false, sales: new Map(),
    round: [], view: 'floor', saleId: null, pendingPayment: null });
  state.sync = new Resync({ load, pollSeconds: settings.pollSeconds });
  renderShell();
  const api = state.api;
  api.profile().then((profile) => { state.user = profile; renderHeader(); }).catch((err) => shell.failed(err)); // also proves the session is alive
  Promise.all([api.dishes(), api.ingredients()]).then(([dishes, ingredients]) => {
    state.dishes = (dishes || []).filter((d) => d.activo !== false);
    state.ingredients = (ingredients || []).filter((i) => i.activo !== false);
    if (state.view === 'order') render();
  }).catch((err) => shell.failed(err));
  try {
    state.branch = await api.branch(); // its name and its tables (`mesas`)
  } catch (err) { if (shell.failed(err)) return; }
  if (can(claims.role, 'caja:operate')) {
    try {
      state.caja = await api.cajaActual();
      if (!state.caja) state.view = 'cajaOpen';
    } catch (err) { if (shell.failed(err)) return; }
  }
  await state.sync.now(true);
  render();
  const channel = `branch:${claims.branch}`; // counter sales (no kitchen work) are heard as sale:updated
  state.feed = new LiveFeed({ url: socketUrl(session.token, settings.ws, 'kds'), channel, also: [{ channel, events: 'sale:' }],
    baseMs: settings.backoffMs, maxMs: settings.backoffMaxMs, onEvent: () => refreshSoon(), onState });
  state.feed.start();
  state.sync.startPolling(); // until the socket is live
}

function stop() {
  if (state.feed) state.feed.stop();
  if (state.sync) state.sync.stop();
  state.feed = null;
  state.sync = null;
}

function toast(message) {
  const el = root.querySelector('#toast');
  if (!el) return;
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 8000);
}

function onState(live) {
  state.down = !live;
  const banner = root.querySelector('#offline');
  if (banner) banner.hidden = live;
  document.body.dataset.live = live ? 'yes' : 'no';
  if (state.sync) state.sync.socket(live);
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => state.sync && state.sync.now(false), 100);
}

// Everything from REST: the recent sales (the floor) and the open order, then redraw.
async function load(first) {
  const api = state.api;
  try {
    const sales = await api.sales();
    if (api !== state.api) return;
    state.sales = new Map((sales || []).map((s) => [s.id, s]));
    if (state.saleId && !state.sales.has(state.saleId)) state.sales.set(state.saleId, await api.sale(state.saleId));
    if (!first) refreshView();
  } catch (err) {
    if (!shell.failed(err) && !first) toast(t('networkError'));
  }
}

// Runs `action` (a REST call); a network failure is retried with back-off (the same request, so
// the same Idempotency-Key). A refusal shows the API's message and the screen reloads what the
// server says. Returns the answer, or null.
async function act(action) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const reply = await action();
      hideRetry();
      return reply;
    } catch (err) {
      if (shell.failed(err)) return null;
      if (err instanceof ApiError && err.network && attempt < settings.retries) {
        showRetry();
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, Math.min(settings.backoffMs, 1000), 8000)));
        continue;
      }
      hideRetry();
      toast(t('refused', { message: err.network ? t('networkError') : err.message }));
      if (state.sync) await state.sync.now(false);
      return null;
    }
  }
}
function showRetry() { const el = root.querySelector('#retrying'); if (el) el.hidden = false; }
function hideRetry() { const el = root.querySelector('#retrying'); if (el) el.hidden = true; }

// --- time ------------------------------------------------------------------------------------------
// A sale's age counts from its `creado_en_iso` (UTC) on the server's clock: no branch offset needed.

function minutesSince(isoStamp) {
  const created = Date.parse(isoStamp || '');
  return Number.isFinite(created) ? Math.max(0, Math.floor((clock.now() - created) / 60000)) : 0;
}

// --- shell and views ----------------------------------------------------------------------------

function renderShell() {
  shell.applyLanguage();
  root.replaceChildren(
    h('header', { class: 'topbar', id: 'topbar' }),
    h('div', { class: 'offline', id: 'offline', role: 'status', hidden: !state.down }, t('offline', { seconds: settings.pollSeconds })),
    h('div', { class: 'offline', id: 'retrying', role: 'status', hidden: true }, t('retrying')),
    h('div', { class: 'toast', id: 'toast', role: 'alert', hidden: true }),
    h('main', { id: 'view', class: 'view' }),
  );
  renderHeader();
}

function renderHeader() {
  const bar = root.querySelector('#topbar');
  if (!bar) return;
  const nav = (view, label) => h('button', { type: 'button', class: 'nav', 'aria-current': state.view === view ? 'page' : null,
    onclick: () => go(view) }, label);
  bar.replaceChildren(
    h('h1', {}, 'Comanda · ', t('appTitle')),
    h('nav', { 'aria-label': t('appTitle') }, nav('floor', t('navFloor')), can(role(), 'caja:operate') ? nav('caja', t('navCaja')) : null),
    h('span', { class: 'who', id: 'who' }, `${state.user?.nombre || ''} · ${t(`role_${role()}`)}`),
    shell.languageButton(() => { renderShell(); render(); }),
    h('button', { type: 'button', class: 'signout', onclick: () => shell.signOut() }, t('signOut')),
  );
}

async function go(view, saleId = null) {
  state.view = view;
  if (saleId !== null) state.saleId = saleId;
  if (view === 'floor') { state.saleId = null; state.dish = null; }
  if (view === 'caja' || view === 'cajaOpen') {
    const reply = await act(() => state.api.cajaSummary().catch((err) => {
      if (err instanceof ApiError && err.status === 400) return null; // no caja open
      throw err;
    }));
    state.caja = reply ? reply.caja : null;
    state.summary = reply ? reply.resumen : null;
    state.view = state.caja ? 'caja' : 'cajaOpen';
  }
  render();
}

function render() {
  renderHeader();
  const main = root.querySelector('#view');
  if (!main) return;
  const views = { floor: floorView, order: orderView, pay: payView, receipt: receiptView, caja: cajaView, cajaOpen: cajaOpenView };
  main.replaceChildren(...[].concat((views[state.view] || floorView)()));
  document.body.dataset.view = state.view;
}

// A live change redraws what it touches and keeps what is being typed.
function refreshView() {
  if (state.view === 'floor') render();
  else if (state.view === 'order') replace('#ticket', ticketSection());
  else if (state.view === 'pay') replace('#due', dueSection());
}
function replace(selector, node) {
  const el = root.querySelector(selector);
  if (el) el.replaceWith(node);
}

const currentSale = () => state.sales.get(state.saleId);

// --- caja ----------------------------------------------------------------------------------------

function countFields(prefix, onChange) {
  const counts = {};
  const total = h('p', { class: 'count-total', id: `${prefix}-total`, role: 'status' }, t('countTotal', { amount: bs(0) }));
  const inputs = DENOMINATIONS.map(([name, , label]) => {
    const input = h('input', { type: 'number', min: '0', step: '1', inputmode: 'numeric', name, id: `${prefix}-${name}`, value: '0',
      'aria-label': t('denomination', { label }),
      oninput: () => {
        const n = Number.parseInt(input.value, 10);
        counts[name] = Number.isFinite(n) && n >= 0 ? n : 0;
        total.textContent = t('countTotal', { amount: bs(countTotal(counts)) });
        if (onChange) onChange(counts);
      } });
    return h('label', { class: 'denomination' }, h('span', {}, label), input);
  });
  return { counts, node: h('div', { class: 'counts' }, h('div', { class: 'denominations' }, inputs), total) };
}

function cajaOpenView() {
  const { counts, node } = countFields('open');
  const submit = h('button', { type: 'submit', class: 'primary' }, t('openCaja'));
  const form = h('form', { class: 'panel', id: 'caja-open', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const caja = await act(() => state.api.openCaja(Object.fromEntries(DENOMINATIONS.map(([n]) => [n, counts[n] || 0]))));
    submit.disabled = false;
    if (caja) { state.caja = caja; go('floor'); }
  } }, h('h2', {}, t('openCajaTitle')), h('p', {}, t('openCajaHint')), node, submit);
  return form;
}

function cajaView() {
  const caja = state.caja;
  const s = state.summary || {};
  const row = (label, value, id) => h('div', { class: 'row' }, h('dt', {}, label), h('dd', { id }, bs(cents(value))));
  const summary = h('section', { class: 'panel', id: 'caja-summary', 'aria-labelledby': 'summary-title' },
    h('h2', { id: 'summary-title' }, t('cajaTitle', { id: caja.id }), ' · ', t('summary')),
    h('dl', {}, row(t('openingAmount'), s.monto_inicial, 'sum-opening'), row(t('cashSales'), s.ventas_efectivo, 'sum-cash'),
      row(t('qrSales'), s.ventas_qr, 'sum-qr'), row(t('cardSales'), s.ventas_tarjeta, 'sum-card'),
      row(t('expenses'), s.total_gastos, 'sum-expenses'),
      row(t('expectedCash'), s.efectivo_esperado, 'sum-expected')));
  const expense = h('form', { class: 'panel', id: 'expense', onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(expense);
    const ok = await act(() => state.api.expense({ descripcion: String(data.get('descripcion')).trim(), metodo_pago: data.get('metodo_pago'),
      monto: toMoney(cents(data.get('monto'))) }));
    if (ok) { toast(t('expenseRecorded')); go('caja'); }
  } }, h('h2', {}, t('expenseTitle')),
  h('label', { class: 'field' }, h('span', {}, t('description')), h('input', { name: 'descripcion', required: true, maxlength: '200' })),
  h('label', { class: 'field' }, h('span', {}, t('method')), h('select', { name: 'metodo_pago' },
    h('option', { value: 'efectivo' }, t('cash')), h('option', { value: 'qr' }, t('qr')), h('option', { value: 'tarjeta' }, t('card')))),
  h('label', { class: 'field' }, h('span', {}, t('amount')), h('input', { name: 'monto', required: true, inputmode: 'decimal', pattern: '[0-9]+([.,][0-9]{1,2})?' })),
  h('button', { type: 'submit', class: 'primary' }, t('recordExpense')));
  return [summary, expense, closeSection()];
}

function closeSection() {
  const { counts, node } = countFields('close', () => { review.hidden = true; confirm.hidden = true; });
  const review = h('div', { class: 'review', id: 'close-review', role: 'status', hidden: true });
  const confirm = h('button', { type: 'button', class: 'danger', id: 'confirm-close', hidden: true, onclick: async () => {
    confirm.disabled = true;
    const closed = await act(() => state.api.closeCaja(Object.fromEntries(DENOMINATIONS.map(([n]) => [n, counts[n] || 0]))));
    confirm.disabled = false;
    if (closed) {
      state.caja = null;
      state.view = 'cajaOpen';
      render();
      toast(t('cajaClosed', { id: closed.id, amount: bs(cents(closed.diferencia)), state: t(`diff_${closed.estado_diferencia}`) }));
    }
  } }, t('confirmClose'));
  const check = h('button', { type: 'button', class: 'primary', id: 'review-close', onclick: async () => {
    const fresh = await act(() => state.api.cajaSummary());
    if (!fresh) return;
    state.summary = fresh.resumen;
    const expected = cents(fresh.resumen.efectivo_esperado);
    const counted = countTotal(counts);
    const diff = counted - expected;
    const kind = diff === 0 ? 'exacto' : diff > 0 ? 'sobrante' : 'faltante';
    review.replaceChildren(h('dl', {},
      h('div', { class: 'row' }, h('dt', {}, t('expectedCash')), h('dd', { id: 'close-expected' }, bs(expected))),
      h('div', { class: 'row' }, h('dt', {}, t('counted')), h('dd', { id: 'close-counted' }, bs(counted))),
      h('div', { class: `row diff diff-${kind}` }, h('dt', {}, t('difference')),
        h('dd', { id: 'close-difference' }, `${bs(diff)} (${t(`diff_${kind}`)})`))));
    review.hidden = false;
    confirm.hidden = false;
  } }, t('reviewClose'));
  return h('section', { class: 'panel', id: 'caja-close', 'aria-labelledby': 'close-title' },
    h('h2', { id: 'close-title' }, t('closeTitle')), node, check, review, confirm);
}

// --- the floor -----------------------------------------------------------------------------------

function tableName(mesa) { return String(mesa).replace(/^mesa\s*/i, ''); }
// "Mesa 5" for a numbered table; a named one ("Terraza 1", "Barra") by its name.
function tableLabel(name) { return /^\d+$/.test(name) ? t('table', { table: name }) : name; }

// The branch's own tables in its order (its `mesas` setting; else 1..?mesas), then every other
// `mesa` of the recent sales.
function floorTables() {
  const configured = [...new Set(state.branch?.mesas?.length ? state.branch.mesas.map(tableName)
    : Array.from({ length: settings.tables }, (_, i) => String(i + 1)))];
  const known = new Set(configured);
  const others = new Set();
  const open = new Map();
  for (const sale of state.sales.values()) {
    if (sale.mesa === null || sale.mesa === undefined || sale.mesa === '' || sale.entrega) continue;
    const name = tableName(sale.mesa);
    if (!known.has(name)) others.add(name);
    if (OPEN_SALE.has(sale.estado) && (!open.has(name) || open.get(name).id < sale.id)) open.set(name, sale);
  }
  const numeric = (a, b) => (Number(a) - Number(b)) || a.localeCompare(b, undefined, { numeric: true });
  return [...configured, ...[...others].sort(numeric)].map((name) => ({ name, sale: open.get(name) || null }));
}

function saleState(sale) {
  if (!sale) return 'free';
  return sale.items.some((i) => i.estado === 'ready') ? 'ready' : 'open';
}

function floorView() {
  const tables = floorTables().map(({ name, sale }) => {
    const kind = saleState(sale);
    const detail = kind === 'free' ? t('tableFree')
      : kind === 'ready' ? t('tableReady')
        : t('tableOpen', { total: bs(cents(sale.monto_total)), minutes: minutesSince(sale.creado_en_iso) });
    return h('button', { type: 'button', class: `table state-${kind}`, dataset: { mesa: name, state: kind, saleId: sale ? sale.id : '' },
      onclick: () => openTable(name, sale) },
    h('span', { class: 'table-name' }, tableLabel(name)),
    h('span', { class: 'table-detail' }, detail),
    kind === 'ready' ? h('span', { class: 'table-total' }, bs(cents(sale.monto_total))) : null);
  });
  const others = [...state.sales.values()].filter((s) => OPEN_SALE.has(s.estado) && !s.mesa && !s.entrega);
  const deliveries = [...state.sales.values()].filter((s) => s.entrega && s.estado !== 'anulado'
    && !['entregado', 'cancelado'].includes(s.entrega.estado));
  const saleButton = (s, label) => h('button', { type: 'button', class: `ticket-chip state-${saleState(s)}`, dataset: { saleId: s.id },
    onclick: () => go('order', s.id) }, h('span', {}, label), h('span', { class: 'table-detail' }, bs(cents(s.monto_total))));
  return [
    h('section', { class: 'floor', id: 'floor', 'aria-labelledby': 'floor-title' },
      h('h2', { id: 'floor-title' }, t('floorTitle')),
      h('div', { class: 'tables' }, tables)),
    h('aside', { class: 'side' },
      h('section', { id: 'takeaway', 'aria-labelledby': 'takeaway-title' },
        h('h2', { id: 'takeaway-title' }, t('counterSales')),
        h('button', { type: 'button', class: 'primary', id: 'new-takeaway', onclick: () => openTakeaway() }, `+ ${t('takeaway')}`),
        ...others.map((s) => saleButton(s, s.concepto || t('takeawayName', { n: s.id })))),
      h('section', { id: 'deliveries', 'aria-labelledby': 'deliveries-title' },
        h('h2', { id: 'deliveries-title' }, t('deliveries')),
        deliveries.length ? deliveries.map((s) => h('div', { class: 'delivery', dataset: { saleId: s.id } },
          h('span', { class: 'delivery-name' }, `#${s.id} ${s.entrega.cliente || s.cliente || ''}`),
          h('span', { class: 'delivery-state' }, t('delivery_state', { state: s.entrega.estado }))))
          : h('p', { class: 'empty' }, t('noDeliveries')))),
  ];
}

async function openTable(name, sale) {
  if (sale) { go('order', sale.id); return; }
  const created = await act(() => state.api.createSale({ nro_reg: 1, concepto: tableLabel(name), mesa: name }));
  if (!created) return;
  state.sales.set(created.id, created);
  state.round = [];
  go('order', created.id);
}

async function openTakeaway() {
  const created = await act(() => state.api.createSale({ nro_reg: 1, concepto: t('takeaway') }));
  if (!created) return;
  state.sales.set(created.id, created);
  state.round = [];
  go('order', created.id);
}

// --- an order ----------------------------------------------------------------------------------------

function where(sale) {
  if (sale.mesa) return tableLabel(tableName(sale.mesa));
  return sale.concepto || t('takeaway');
}

function orderView() {
  const sale = currentSale();
  if (!sale) return floorView();
  return [
    h('section', { class: 'order-head' },
      h('button', { type: 'button', class: 'back', onclick: () => go('floor') }, `← ${t('back')}`),
      h('h2', { id: 'order-title' }, t('orderTitle', { where: where(sale), id: sale.id }))),
    h('div', { class: 'order', id: 'order' }, state.dish ? dishPanel() : menuSection(), h('div', { class: 'order-side' }, roundSection(), ticketSection())),
  ];
}

function menuSection() {
  const categories = [...new Set(state.dishes.map((d) => d.estacion).filter(Boolean))].sort();
  const query = state.query.trim().toLowerCase();
  const dishes = state.dishes.filter((d) => (!state.category || d.estacion === state.category)
    && (!query || d.nombre.toLowerCase().includes(query)));
  const list = h('div', { class: 'dishes', id: 'dishes' }, dishes.map((d) => h('button', { type: 'button', class: 'dish',
    dataset: { platoId: d.id }, onclick: () => { state.dish = { plato: d, qty: 1, notes: '', extras: new Set(), price: '0' }; render(); } },
  h('span', { class: 'dish-name' }, d.nombre), h('span', { class: 'dish-price' }, bs(cents(d.precio))))));
  const search = h('input', { type: 'search', id: 'search', 'aria-label': t('search'), placeholder: t('search'), value: state.query,
    oninput: () => { state.query = search.value; replace('#menu', menuSection()); const s = root.querySelector('#search'); s.focus(); s.setSelectionRange(s.value.length, s.value.length); } });
  const tab = (value, label) => h('button', { type: 'button', class: 'category', 'aria-pressed': state.category === value ? 'true' : 'false',
    onclick: () => { state.category = value; replace('#menu', menuSection()); } }, label);
  return h('section', { class: 'menu', id: 'menu', 'aria-labelledby': 'menu-title' },
    h('h3', { id: 'menu-title' }, t('menu')), search,
    h('div', { class: 'categories' }, tab('', t('allCategories')), categories.map((c) => tab(c, c))), list);
}

function dishPanel() {
  const d = state.dish;
  const qty = h('output', { id: 'dish-qty', 'aria-live': 'polite' }, String(d.qty));
  const step = (delta) => { d.qty = Math.max(1, d.qty + delta); qty.textContent = String(d.qty); };
  const notes = h('textarea', { id: 'dish-notes', name: 'notas', maxlength: '500', rows: '2' }, d.notes);
  const price = h('input', { id: 'extra-price', name: 'precio', inputmode: 'decimal', value: d.price });
  const extras = state.ingredients.map((i) => h('button', { type: 'button', class: 'extra-toggle', 'aria-pressed': d.extras.has(i.id) ? 'true' : 'false',
    dataset: { ingredienteId: i.id }, onclick: (e) => {
      if (d.extras.has(i.id)) d.extras.delete(i.id); else d.extras.add(i.id);
      e.currentTarget.setAttribute('aria-pressed', d.extras.has(i.id) ? 'true' : 'false');
    } }, i.nombre));
  return h('form', { class: 'panel dish-panel', id: 'dish-panel', 'aria-labelledby': 'dish-title', onsubmit: (e) => {
    e.preventDefault();
    state.round.push({ plato: d.plato, qty: d.qty, notes: notes.value.trim(), extras: [...d.extras], price: toMoney(Math.max(0, cents(price.value) || 0)) });
    state.dish = null;
    render();
  } },
  h('h3', { id: 'dish-title' }, d.plato.nombre, ' · ', bs(cents(d.plato.precio))),
  h('div', { class: 'stepper', role: 'group', 'aria-label': t('quantity') },
    h('button', { type: 'button', 'aria-label': t('less'), onclick: () => step(-1) }, '−'), qty,
    h('button', { type: 'button', 'aria-label': t('more'), onclick: () => step(1) }, '+')),
  h('label', { class: 'field', for: 'dish-notes' }, h('span', {}, t('notes'))), notes,
  h('fieldset', { class: 'extras' }, h('legend', {}, t('extras')), extras),
  h('label', { class: 'field' }, h('span', {}, t('extraPrice')), price),
  h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => { state.dish = null; render(); } }, t('cancel')),
    h('button', { type: 'submit', class: 'primary' }, t('addToRound'))));
}

const ingredientName = (id) => state.ingredients.find((i) => i.id === id)?.nombre || id;
const extraName = (e) => e.nombre || e.descripcion || ingredientName(e.ingrediente_id);

function roundSection() {
  if (!state.round.length) return h('section', { id: 'round', hidden: true });
  return h('section', { class: 'panel round', id: 'round', 'aria-labelledby': 'round-title' },
    h('h3', { id: 'round-title' }, t('round')),
    h('ul', {}, state.round.map((line, index) => h('li', { class: 'round-line' },
      h('span', {}, `${line.qty}× ${line.plato.nombre}`),
      line.notes ? h('span', { class: 'notes' }, line.notes) : null,
      ...line.extras.map((id) => h('span', { class: 'extra' }, t('extraLine', { qty: 1, name: ingredientName(id) }))),
      h('button', { type: 'button', class: 'small', 'aria-label': `${t('removeFromRound')}: ${line.plato.nombre}`,
        onclick: () => { state.round.splice(index, 1); render(); } }, '✕')))),
    h('button', { type: 'button', class: 'primary', id: 'send-round', onclick: sendRound }, t('sendRound', { count: state.round.length })));
}

// Sends the round line by line; a line leaves the round once the server has it, so a failure
// keeps what was not sent and shows why.
async function sendRound(event) {
  const button = event.currentTarget;
  button.disabled = true;
  const saleId = state.saleId;
  while (state.round.length) {
    const line = state.round[0];
    const body = { plato_id: line.plato.id, cantidad: String(line.qty) };
    if (line.notes) body.notas = line.notes;
    // One key per line (and per extra of it), kept while the line is in the round: sending it again
    // after a lost answer adds nothing twice.
    line.key = line.key || idempotencyKey();
    const item = await act(() => state.api.addItem(saleId, body, line.key));
    if (!item) break;
    let sent = true;
    for (const [index, id] of line.extras.entries()) {
      // By ingredient, so closing the sale consumes its stock; the API names it after the ingredient.
      const extra = await act(() => state.api.addExtra(saleId, item.id, { ingrediente_id: id, precio: line.price, cantidad: '1' },
        `${line.key}:extra:${index}`));
      if (!extra) { sent = false; break; }
    }
    if (!sent) break;
    state.round.shift();
  }
  const fresh = await act(() => state.api.sale(saleId));
  if (fresh) state.sales.set(saleId, fresh);
  if (state.view === 'order') render();
}

function itemLine(sale, item) {
  const status = item.estado;
  const open = OPEN_SALE.has(sale.estado);
  const removable = open && (status === 'pending' || status === null);
  const servable = open || sale.estado === 'cerrado';
  return h('li', { class: `line status-${status || 'none'}`, dataset: { itemId: item.id, uuid: item.uuid, status: status || '' } },
    h('span', { class: 'line-main' },
      h('span', { class: 'qty' }, `${Number(item.cantidad)}×`),
      h('span', { class: 'name' }, item.nombre),
      h('span', { class: 'subtotal' }, bs(cents(item.subtotal))),
      status ? h('span', { class: `badge badge-${status}` }, t(`status_${status}`)) : null),
    item.notas ? h('span', { class: 'notes' }, item.notas) : null,
    ...(item.extras || []).map((e) => h('span', { class: 'extra' },
      t('extraLine', { qty: Number(e.cantidad), name: extraName(e) }), ' ', bs(cents(e.precio) * Number(e.cantidad)))),
    h('span', { class: 'line-actions' },
      removable ? h('button', { type: 'button', class: 'small', 'aria-label': t('removeLabel', { name: item.nombre }),
        onclick: () => removeItem(sale.id, item.id) }, t('remove')) : null,
      status === 'ready' && servable && can(role(), 'orders:update_item_status')
        ? h('button', { type: 'button', class: 'small primary serve', 'aria-label': t('serveLabel', { name: item.nombre }),
          onclick: () => serveItem(sale.id, item.uuid) }, t('serve')) : null));
}

function ticketSection() {
  const sale = currentSale();
  if (!sale) return h('section', { id: 'ticket' });
  const totals = h('dl', { class: 'totals' },
    h('div', { class: 'row' }, h('dt', {}, t('total')), h('dd', { id: 'sale-total' }, bs(cents(sale.monto_total)))),
    h('div', { class: 'row' }, h('dt', {}, t('paid')), h('dd', { id: 'sale-paid' }, bs(cents(sale.monto_pagado)))),
    h('div', { class: 'row due' }, h('dt', {}, t('due')), h('dd', { id: 'sale-due' }, bs(cents(sale.monto_pendiente)))));
  const closed = sale.estado === 'cerrado';
  const paid = paidInFull(sale);
  return h('section', { class: 'panel ticket', id: 'ticket', 'aria-labelledby': 'ticket-title', dataset: { estado: sale.estado } },
    h('h3', { id: 'ticket-title' }, t('ticket')),
    sale.items.length ? h('ul', { class: 'lines' }, sale.items.map((i) => itemLine(sale, i))) : h('p', { class: 'empty' }, t('emptyTicket')),
    totals,
    closed || paid ? h('p', { class: 'closed', role: 'status' }, closed ? t('saleClosed') : t('salePaid')) : null,
    h('div', { class: 'actions' },
      !closed && can(role(), 'pagos:create') && cents(sale.monto_pendiente) > 0
        ? h('button', { type: 'button', class: 'primary', id: 'charge', onclick: () => go('pay') }, t('charge')) : null,
      paid ? h('button', { type: 'button', id: 'show-receipt', onclick: () => go('receipt') }, t('receipt')) : null));
}

async function removeItem(saleId, itemId) {
  // The API refuses an item the kitchen has started (409, with its message, which act() shows);
  // this screen may not have heard yet that it started.
  const reply = await act(() => state.api.removeItem(saleId, itemId));
  if (reply) state.sales.set(saleId, reply);
  refreshView();
}

async function serveItem(saleId, uuid) {
  await act(() => state.api.serve(uuid));
  const fresh = await act(() => state.api.sale(saleId));
  if (fresh) state.sales.set(saleId, fresh);
  refreshView();
}

// --- payment -------------------------------------------------------------------------------------------

function dueSection() {
  const sale = currentSale();
  return h('section', { class: 'panel', id: 'due', 'aria-labelledby': 'due-title' },
    h('h3', { id: 'due-title' }, t('due'), ': ', h('span', { id: 'amount-due' }, bs(cents(sale.monto_pendiente)))),
    h('p', {}, t('total'), ' ', bs(cents(sale.monto_total)), ' · ', t('paid'), ' ', bs(cents(sale.monto_pagado))),
    sale.pagos.length ? h('ul', { class: 'payments', id: 'payments', 'aria-label': t('paymentsMade') }, sale.pagos.map((p) => h('li', {},
      methodLabel(p), ' ', bs(cents(p.monto)), cents(p.cambio) > 0 ? ` · ${t('change', { amount: bs(cents(p.cambio)) })}` : ''))) : null,
    paidInFull(sale) ? h('div', { class: 'actions' },
      h('p', { class: 'closed', role: 'status' }, sale.estado === 'cerrado' ? t('saleClosed') : t('salePaid')),
      h('button', { type: 'button', class: 'primary', id: 'show-receipt', onclick: () => go('receipt') }, t('receipt')),
      h('button', { type: 'button', onclick: () => go('floor') }, t('back'))) : null);
}

// Paid in full; the sale itself closes once the kitchen is done too (the API's rule).
function paidInFull(sale) { return cents(sale.monto_total) > 0 && cents(sale.monto_pendiente) <= 0; }

function methodLabel(p) {
  return { efectivo: t('cash'), tarjeta: t('card') }[p.metodo_pago] || t('qr');
}

function payView() {
  const sale = currentSale();
  if (!sale) return floorView();
  let method = 'efectivo';
  const amount = h('input', { id: 'pay-amount', name: 'monto', inputmode: 'decimal', value: toMoney(cents(sale.monto_pendiente)) });
  const received = h('input', { id: 'pay-received', name: 'monto_recibido', inputmode: 'decimal', value: '' });
  const reference = h('input', { id: 'pay-reference', name: 'referencia', maxlength: '90' });
  const change = h('p', { id: 'pay-change', role: 'status' }, '');
  const receivedField = h('label', { class: 'field' }, h('span', {}, t('received')), received);
  const referenceField = h('label', { class: 'field', hidden: true }, h('span', {}, t('reference')), reference);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'pay' }, '');
  const update = () => {
    const due = cents(amount.value);
    const got = received.value.trim() ? cents(received.value) : due;
    change.textContent = method === 'efectivo' && got > due ? t('change', { amount: bs(got - due) }) : '';
    submit.textContent = t('payAmount', { amount: bs(Number.isFinite(due) ? due : 0) });
    receivedField.hidden = method !== 'efectivo';
    referenceField.hidden = method === 'efectivo';
  };
  amount.addEventListener('input', update);
  received.addEventListener('input', update);
  const methods = h('div', { class: 'methods', role: 'radiogroup', 'aria-label': t('method') },
    [['efectivo', t('cash')], ['tarjeta', t('card')], ['qr', t('qr')]].map(([value, label]) => h('button', {
      type: 'button', role: 'radio', class: 'method', dataset: { method: value }, 'aria-checked': value === method ? 'true' : 'false',
      onclick: (e) => {
        method = value;
        for (const b of methods.querySelectorAll('.method')) b.setAttribute('aria-checked', b === e.currentTarget ? 'true' : 'false');
        update();
      } }, label)));
  const form = h('form', { class: 'panel', id: 'pay-form', 'aria-labelledby': 'pay-title', onsubmit: async (e) => {
    e.preventDefault();
    if (state.paying) return; // a double tap sends one request
    const body = { metodo_pago: method, monto: toMoney(cents(amount.value)) };
    if (method === 'efectivo' && received.value.trim()) body.monto_recibido = toMoney(cents(received.value));
    if (method !== 'efectivo') body.referencia_qr = reference.value.trim() || null; // a QR or card voucher reference
    // One key per payment: a retry of the same payment (same sale, same body) reuses it.
    const signature = JSON.stringify([state.saleId, body]);
    if (!state.pendingPayment || state.pendingPayment.signature !== signature) state.pendingPayment = { signature, key: idempotencyKey() };
    const { key } = state.pendingPayment;
    state.paying = true;
    submit.disabled = true;
    const paid = await act(() => state.api.pay(state.saleId, body, key));
    state.paying = false;
    submit.disabled = false;
    if (!paid) return;
    state.pendingPayment = null;
    const fresh = await act(() => state.api.sale(state.saleId));
    if (fresh) state.sales.set(fresh.id, fresh);
    render();
  } },
  h('h3', { id: 'pay-title' }, t('paymentTitle')), methods,
  h('label', { class: 'field' }, h('span', {}, t('amount')), amount), receivedField, referenceField, change, submit);
  update();
  return [
    h('section', { class: 'order-head' },
      h('button', { type: 'button', class: 'back', onclick: () => go('order') }, `← ${where(sale)}`),
      h('h2', { id: 'order-title' }, t('orderTitle', { where: where(sale), id: sale.id }))),
    h('div', { class: 'pay' }, dueSection(), paidInFull(sale) ? null : form),
  ];
}

// --- receipt (printed at 80 mm by pos.css) ----------------------------------------------------------------

function receiptView() {
  const sale = currentSale();
  if (!sale) return floorView();
  const line = (left, right, cls = '') => h('div', { class: `r-line ${cls}` }, h('span', {}, left), h('span', {}, right));
  const paper = h('article', { class: 'receipt', id: 'receipt', 'aria-labelledby': 'receipt-title' },
    h('h2', { id: 'receipt-title' }, 'Comanda'),
    h('p', { id: 'receipt-branch' }, state.branch?.nombre || state.claims.branch),
    h('p', {}, t('receiptSale', { id: sale.id }), ' · ', where(sale)),
    h('p', { id: 'receipt-date' }, t('receiptDate', { date: sale.cerrado_en || sale.creado_en })),
    h('p', { id: 'receipt-cashier' }, t('receiptCashier', { name: state.user?.nombre || '' })),
    h('hr'),
    ...sale.items.flatMap((i) => [
      line(`${Number(i.cantidad)}× ${i.nombre}`, toMoney(cents(i.precio_unitario) * Number(i.cantidad)), 'r-item'),
      ...(i.extras || []).map((e) => line(`  ${t('extraLine', { qty: Number(e.cantidad), name: extraName(e) })}`,
        toMoney(cents(e.precio) * Number(e.cantidad)), 'r-extra')),
    ]),
    h('hr'),
    line(t('total'), bs(cents(sale.monto_total)), 'r-total'),
    ...sale.pagos.flatMap((p) => [
      line(methodLabel(p), bs(cents(p.monto)), 'r-payment'),
      p.metodo_pago === 'efectivo' && p.monto_recibido ? line(`  ${t('received')}`, bs(cents(p.monto_recibido))) : null,
      cents(p.cambio) > 0 ? line(`  ${t('change', { amount: '' }).replace(/:\s*$/, '')}`, bs(cents(p.cambio)), 'r-change') : null,
    ].filter(Boolean)),
    h('hr'),
    h('p', { class: 'thanks' }, t('thanks')));
  return [
    h('div', { class: 'receipt-actions no-print' },
      h('button', { type: 'button', class: 'back', onclick: () => go('floor') }, `← ${t('back')}`),
      h('button', { type: 'button', class: 'primary', id: 'print', onclick: () => window.print() }, t('print'))),
    paper,
  ];
}

shell.applyLanguage();
if (session.token) start(); else shell.showSignIn();
