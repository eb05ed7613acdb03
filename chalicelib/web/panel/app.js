// The owner's dashboard: sign-in, today's figures live from the branch's channel, charts over a
// range of the branch's days, closed cajas, the audit trail, staff and menu, and a CSV per report.
// Everything is read from the REST API; a frame on `branch:<id>` only says "read again".
import { ApiError } from '../common/api.js';
import { clock } from '../common/clock.js';
import { h } from '../common/dom.js';
import { Shell } from '../common/shell.js';
import { LiveFeed, socketUrl } from '../common/live.js';
import { TokenStore } from '../common/session.js';
import { Resync } from '../common/sync.js';
import { PanelApi } from './api.js';
import { categoryChart } from './charts.js';
import { addDays, bs, dayIn, shortDay, weekday, zonedStart } from './format.js';
import { ROLES, can } from './roles.js';
import { LANGUAGES, translator } from './strings.js';

const params = new URLSearchParams(location.search);
const number = (name, fallback) => {
  const value = Number.parseFloat(params.get(name));
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
// Page settings, from the query string: ?poll=30 (seconds between reads while the socket is down),
// ?throttle=1000 (ms: at most one re-read per this, however many frames arrive),
// ?backoff=1000&backoffMax=30000 (ms), ?lang=es|en, ?ws=<socket URL>.
const settings = {
  pollSeconds: number('poll', 30),
  throttleMs: number('throttle', 1000),
  backoffMs: number('backoff', 1000),
  backoffMaxMs: number('backoffMax', 30000),
  ws: params.get('ws'),
};
const TABS = ['charts', 'cajas', 'audit', 'staff', 'menu'];
const OPEN_SALE = new Set(['pendiente', 'abierto']);

const session = new TokenStore('panel');
const root = document.getElementById('app');
const shell = new Shell({ app: 'panel', root, session, languages: LANGUAGES, translator, start: (user) => start(user),
  stop: () => stop() });
const t = (key, params) => shell.t(key, params);
const state = {
  api: null, claims: null, user: null, feed: null, sync: null, branches: [], branch: null, tz: 'UTC', range: null,
  tab: 'charts', today: null, charts: {}, reports: {}, audit: [], users: [], catalog: { platos: [], productos: [] },
  refresh: { timer: null, last: 0, charts: false }, reads: 0,
};
window.__panel = state;

const today = () => dayIn(state.tz, clock.now());

// What a failed action shows: the network, or the API's own message.
function errorText(err) {
  if (err instanceof ApiError && err.network) return t('networkError');
  return err instanceof Error ? err.message : String(err);
}

// --- session -------------------------------------------------------------------------------

async function start(user) {
  const claims = session.claims();
  if (!claims) { shell.signOut(session.token ? t('sessionExpired') : ''); return; }
  if (!can(claims.role, 'reports:sales')) { shell.signOut(t('notAllowed')); return; }
  stop();
  Object.assign(state, { claims, user: user || null, api: new PanelApi(session.token), branch: claims.branch, branches: [] });
  try {
    const [profile, branches] = await Promise.all([state.api.profile(), state.api.branches().catch(() => [])]);
    state.user = profile;
    state.branches = branches || [];
  } catch (err) { if (shell.failed(err)) return; }
  if (!state.branches.length) {
    try { state.branches = [await state.api.currentBranch()]; } catch (err) { if (shell.failed(err)) return; }
  }
  if (!state.branch || !state.branches.some((b) => b.id === state.branch)) state.branch = state.branches[0]?.id || null;
  await useBranch(state.branch);
}

// Everything the dashboard shows is one branch's: choosing another re-reads all and listens to it.
async function useBranch(id) {
  stop();
  const branch = state.branches.find((b) => b.id === id) || {};
  state.branch = id;
  state.api.branch = id !== state.claims.branch ? id : null;
  state.tz = branch.timezone || 'UTC';
  const now = today();
  state.range = state.range || { desde: addDays(now, -6), hasta: now };
  state.sync = new Resync({ load: loadToday, pollSeconds: settings.pollSeconds });
  renderShell();
  await state.sync.now(true);
  renderTab();
  const channel = `branch:${id}`;
  state.feed = new LiveFeed({ url: socketUrl(session.token, settings.ws, 'kds'), channel, events: 'order:',
    also: [{ channel, events: 'menu:' }, { channel, events: 'sale:' }], baseMs: settings.backoffMs, maxMs: settings.backoffMaxMs,
    onEvent, onState });
  state.feed.start();
  state.sync.startPolling(); // until the socket is live
}

function stop() {
  if (state.feed) state.feed.stop();
  if (state.sync) state.sync.stop();
  clearTimeout(state.refresh.timer);
  state.refresh.timer = null;
  state.feed = null;
  state.sync = null;
}

function onState(live) {
  document.body.dataset.live = live ? 'yes' : 'no';
  const banner = document.getElementById('offline');
  if (banner) banner.hidden = live;
  if (state.sync) state.sync.socket(live);
}

// A frame says something changed: re-read (at most once per `throttle` ms, the last frame always
// followed by a read), today's figures always, the charts when a sale's bill changed, the menu when it did.
function onEvent(event) {
  if (event.startsWith('menu:')) {
    if (state.tab === 'menu') loadCatalog().then(renderMenuTables).catch(showError);
    return;
  }
  if (event === 'order:updated' || event === 'sale:updated') state.refresh.charts = true;
  if (state.refresh.timer) return;
  const wait = Math.max(0, state.refresh.last + settings.throttleMs - Date.now());
  state.refresh.timer = setTimeout(async () => {
    state.refresh.timer = null;
    state.refresh.last = Date.now();
    const charts = state.refresh.charts && state.tab === 'charts';
    state.refresh.charts = false;
    await (state.sync ? state.sync.now(false) : Promise.resolve());
    if (charts) await loadCharts().catch(showError);
  }, wait);
}

// --- the shell -------------------------------------------------------------------------------

function renderShell() {
  shell.applyLanguage();
  const branch = state.branches.find((b) => b.id === state.branch);
  const picker = state.branches.length > 1
    ? h('span', { class: 'inline' }, h('label', { for: 'branch' }, t('branch')), h('select', { id: 'branch', onchange: (e) => useBranch(e.target.value) },
      state.branches.map((b) => h('option', { value: b.id, selected: b.id === state.branch }, b.nombre))))
    : h('span', { id: 'branch-name' }, branch?.nombre || state.branch || '');
  const dateField = (name, label) => h('label', { class: 'inline' }, h('span', {}, label),
    h('input', { type: 'date', id: name, name, value: state.range[name], required: true, onchange: rangeChanged }));
  root.replaceChildren(
    h('header', { class: 'topbar' },
      h('h1', {}, 'Comanda · ', t('appTitle')), picker,
      h('form', { class: 'range', 'aria-label': t('range'), onsubmit: (e) => e.preventDefault() },
        dateField('desde', t('from')), dateField('hasta', t('to'))),
      h('span', { id: 'who', class: 'who' }, state.user ? state.user.nombre : ''),
      shell.languageButton(() => { renderShell(); renderTodayFigures(); renderTab(); }),
      h('button', { type: 'button', onclick: () => shell.signOut() }, t('signOut'))),
    h('div', { id: 'offline', class: 'offline', role: 'status', hidden: document.body.dataset.live === 'yes' }, t('offline')),
    h('p', { id: 'message', class: 'message', role: 'alert' }),
    h('main', {},
      h('section', { id: 'today', class: 'panel', 'aria-labelledby': 'today-title' },
        h('h2', { id: 'today-title' }, t('todayLive')),
        h('dl', { class: 'kpis', id: 'kpis' })),
      h('nav', { class: 'tabs', 'aria-label': t('sections') },
        TABS.map((tab) => h('button', { type: 'button', 'aria-current': state.tab === tab ? 'page' : null, dataset: { tab },
          onclick: () => { state.tab = tab; renderShell(); renderTodayFigures(); renderTab(); } }, t(`tab_${tab}`)))),
      h('section', { id: 'view', class: 'view', 'aria-live': 'polite' })));
  renderTodayFigures();
}

function rangeChanged() {
  const desde = document.getElementById('desde').value;
  const hasta = document.getElementById('hasta').value;
  if (!desde || !hasta) return;
  if (desde > hasta) { showError(new Error(t('badRange'))); return; }
  state.range = { desde, hasta };
  renderTab();
}

function showError(err) {
  if (shell.failed(err)) return;
  const box = document.getElementById('message');
  if (box) box.textContent = errorText(err);
}

function clearMessage() {
  const box = document.getElementById('message');
  if (box) box.textContent = '';
}

// --- today, live -----------------------------------------------------------------------------

async function loadToday() {
  const day = today();
  try {
    const [report, sales, caja] = await Promise.all([
      state.api.salesReport({ desde: day, hasta: day, agrupar: 'dia' }), state.api.sales(), state.api.openCaja()]);
    state.reads += 1;
    state.today = {
      day, total: report.total, tickets: report.ventas, average: report.ticket_promedio, voids: report.anuladas,
      openTables: (sales || []).filter((s) => OPEN_SALE.has(s.estado)).length, openCajas: caja ? 1 : 0,
    };
    renderTodayFigures();
  } catch (err) { showError(err); }
}

function renderTodayFigures() {
  const list = document.getElementById('kpis');
  if (!list) return;
  const today = state.today;
  const figure = (key, label, value) => h('div', { class: 'kpi', dataset: { kpi: key } }, h('dt', {}, label), h('dd', {}, value));
  list.replaceChildren(...(today ? [
    figure('total', t('salesTotal'), bs(today.total)),
    figure('tickets', t('tickets'), String(today.tickets)),
    figure('average', t('averageTicket'), bs(today.average)),
    figure('tables', t('openTables'), String(today.openTables)),
    figure('cajas', t('openCajas'), String(today.openCajas)),
  ] : [h('div', { class: 'kpi' }, h('dt', {}, t('loading')), h('dd', {}, '…'))]));
}

// --- tabs ------------------------------------------------------------------------------------

function renderTab() {
  clearMessage();
  const view = document.getElementById('view');
  if (!view) return;
  view.dataset.tab = state.tab;
  ({ charts: showCharts, cajas: showCajas, audit: showAudit, staff: showStaff, menu: showMenu })[state.tab]();
}

// A CSV download: the API's own file (formato=csv), fetched with the token, saved through a link.
function csvButton(label, path, query) {
  return h('button', { type: 'button', class: 'csv', 'aria-label': t('downloadCsvOf', { name: label }), onclick: async () => {
    try {
      const { blob, filename } = await state.api.csv(path, typeof query === 'function' ? query() : query);
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) { showError(err); }
  } }, t('csv'));
}

function figure(key, title, csv) {
  return h('figure', { class: 'chart panel', id: `chart-${key}`, 'aria-labelledby': `chart-${key}-title` },
    h('div', { class: 'figure-head' }, h('h3', { id: `chart-${key}-title` }, title), csv),
    h('div', { class: 'canvas', id: `chart-${key}-canvas` }),
    h('figcaption', { id: `chart-${key}-note`, class: 'note' }));
}

// --- charts ----------------------------------------------------------------------------------

function showCharts() {
  const { desde, hasta } = state.range;
  const day = today();
  const view = document.getElementById('view');
  const sales = (agrupar, range = state.range) => () => ({ ...range, agrupar });
  view.replaceChildren(h('h2', {}, t('tab_charts'), ' · ', t('rangeShown', { from: desde, to: hasta })),
    h('div', { class: 'charts' },
      figure('hour', t('byHour'), csvButton(t('byHour'), '/api/reportes/ventas', sales('hora', { desde: day, hasta: day }))),
      figure('day', t('byDay'), csvButton(t('byDay'), '/api/reportes/ventas', sales('dia'))),
      figure('dishes', t('topDishes'), csvButton(t('topDishes'), '/api/reportes/ventas', sales('plato'))),
      figure('methods', t('byMethod'), csvButton(t('byMethod'), '/api/reportes/ventas', sales('metodo'))),
      figure('kitchen', t('kitchenTimes'), csvButton(t('kitchenTimes'), '/api/reportes/cocina', () => ({ ...state.range })))));
  loadCharts().catch(showError);
}

async function loadCharts() {
  const api = state.api;
  const day = today();
  const lastWeek = addDays(day, -7);
  const range = { ...state.range };
  const [hourToday, hourBefore, byDay, byDish, byMethod, kitchen] = await Promise.all([
    api.salesReport({ desde: day, hasta: day, agrupar: 'hora' }),
    api.salesReport({ desde: lastWeek, hasta: lastWeek, agrupar: 'hora' }),
    api.salesReport({ ...range, agrupar: 'dia' }),
    api.salesReport({ ...range, agrupar: 'plato' }),
    api.salesReport({ ...range, agrupar: 'metodo' }),
    api.kitchenReport(range),
  ]);
  state.reports = { hourToday, hourBefore, byDay, byDish, byMethod, kitchen };
  if (state.tab !== 'charts') return;
  drawCharts();
}

const money = (n) => `Bs ${Number.isInteger(n) ? n : n.toFixed(2)}`;
const minutes = (seconds) => Math.round((seconds / 60) * 10) / 10;

function drawCharts() {
  const { hourToday, hourBefore, byDay, byDish, byMethod, kitchen } = state.reports;
  const canvas = (key) => document.getElementById(`chart-${key}-canvas`);
  const note = (key, text) => { const el = document.getElementById(`chart-${key}-note`); if (el) el.textContent = text; };
  if (!canvas('hour')) return;
  const day = today();
  const lastWeekLabel = t('sameDayLastWeek', { day: weekday(addDays(day, -7), shell.lang) });
  const hours = hourToday.lineas.map((l) => l.clave);
  const before = new Map(hourBefore.lineas.map((l) => [l.clave, Number(l.total)]));
  state.charts.hour = categoryChart(canvas('hour'), {
    xLabel: t('hour'), yLabel: t('bs'), categories: hours, bars: false, format: money,
    series: [{ label: t('today'), values: hourToday.lineas.map((l) => Number(l.total)) },
      { label: lastWeekLabel, values: hours.map((hr) => before.get(hr) ?? 0) }],
    summary: t('hourSummary', { today: bs(hourToday.total), before: bs(hourBefore.total), day: lastWeekLabel }),
  });
  note('hour', t('hourSummary', { today: bs(hourToday.total), before: bs(hourBefore.total), day: lastWeekLabel }));

  state.charts.day = categoryChart(canvas('day'), {
    xLabel: t('day'), yLabel: t('bs'), categories: byDay.lineas.map((l) => shortDay(l.clave)), format: money,
    series: [{ label: t('sales'), values: byDay.lineas.map((l) => Number(l.total)) }],
    summary: t('daySummary', { total: bs(byDay.total), count: byDay.ventas, average: bs(byDay.ticket_promedio) }),
  });
  note('day', t('daySummary', { total: bs(byDay.total), count: byDay.ventas, average: bs(byDay.ticket_promedio) }));

  const dishes = [...byDish.lineas].sort((a, b) => Number(b.total) - Number(a.total)).slice(0, 6);
  const clip = (name) => (name.length > 12 ? `${name.slice(0, 11)}…` : name);
  state.charts.dishes = categoryChart(canvas('dishes'), {
    xLabel: t('dish'), yLabel: t('bs'), categories: dishes.map((l) => clip(l.nombre)), format: money, labelWidth: 96,
    series: [{ label: t('sales'), values: dishes.map((l) => Number(l.total)) }],
    summary: dishes.length ? dishes.map((l) => `${l.nombre}: ${bs(l.total)}`).join('; ') : t('noData'),
  });
  note('dishes', dishes.length ? dishes.map((l) => `${l.nombre} ${bs(l.total)} (${l.cantidad ?? 0})`).join(' · ') : t('noData'));

  const methods = byMethod.lineas;
  state.charts.methods = categoryChart(canvas('methods'), {
    xLabel: t('method'), yLabel: t('bs'), categories: methods.map((l) => t(`method_${l.clave}`)), format: money, labelWidth: 80,
    series: [{ label: t('payments'), values: methods.map((l) => Number(l.total)) }],
    summary: methods.length ? methods.map((l) => `${t(`method_${l.clave}`)}: ${bs(l.total)}`).join('; ') : t('noData'),
  });
  const paid = methods.reduce((sum, l) => sum + Number(l.total), 0);
  note('methods', methods.length
    ? methods.map((l) => `${t(`method_${l.clave}`)} ${paid ? Math.round((Number(l.total) / paid) * 100) : 0} %`).join(' · ') : t('noData'));

  // The kitchen's ticket times per station over the range: each day's p50 and p90, weighted by its tickets.
  const stations = new Map();
  for (const d of kitchen.dias) {
    if (!d.tickets || d.tickets_p50_segundos === null) continue;
    const s = stations.get(d.estacion) || { tickets: 0, p50: 0, p90: 0 };
    s.tickets += d.tickets;
    s.p50 += d.tickets * d.tickets_p50_segundos;
    s.p90 += d.tickets * (d.tickets_p90_segundos ?? d.tickets_p50_segundos);
    stations.set(d.estacion, s);
  }
  const names = [...stations.keys()].sort();
  state.charts.kitchen = categoryChart(canvas('kitchen'), {
    xLabel: t('station'), yLabel: t('minutes'), categories: names, labelWidth: 80, format: (v) => `${v}`,
    series: [{ label: t('p50'), values: names.map((n) => minutes(stations.get(n).p50 / stations.get(n).tickets)) },
      { label: t('p90'), values: names.map((n) => minutes(stations.get(n).p90 / stations.get(n).tickets)) }],
    summary: names.length ? names.map((n) => `${n}: ${minutes(stations.get(n).p50 / stations.get(n).tickets)} min`).join('; ') : t('noData'),
  });
  note('kitchen', names.length ? t('kitchenNote', { late: kitchen.minutos_tarde }) : t('noData'));
}

// --- cajas -----------------------------------------------------------------------------------

async function showCajas() {
  const view = document.getElementById('view');
  const query = () => ({ ...state.range });
  view.replaceChildren(h('div', { class: 'section-head' }, h('h2', {}, t('tab_cajas')), csvButton(t('tab_cajas'), '/api/reportes/cajas', query)),
    h('p', { class: 'empty' }, t('loading')));
  let report;
  try { report = await state.api.cajasReport(query()); } catch (err) { showError(err); return; }
  if (state.tab !== 'cajas') return;
  const summary = h('section', { id: 'caja-summary', class: 'panel', 'aria-live': 'polite', hidden: true });
  const difference = (c) => {
    const n = Number(c.diferencia);
    const kind = n < 0 ? 'short' : n > 0 ? 'over' : 'even';
    return h('td', { class: `num diff diff-${kind}`, dataset: { diff: kind } }, bs(c.diferencia), ' ', h('span', { class: 'tag' }, t(`diff_${kind}`)));
  };
  const rows = report.cajas.map((c) => h('tr', { dataset: { cajaId: c.id } },
    h('td', {}, `#${c.id}`), h('td', {}, c.fecha_apertura || ''), h('td', {}, c.fecha_cierre || ''),
    h('td', { class: 'num' }, bs(c.efectivo_esperado)), h('td', { class: 'num' }, bs(c.efectivo_contado)), difference(c),
    h('td', {}, h('button', { type: 'button', 'aria-label': t('openCajaSummary', { id: c.id }), onclick: () => openSummary(c, summary) }, t('view')))));
  view.replaceChildren(
    h('div', { class: 'section-head' }, h('h2', {}, t('tab_cajas'), ' · ', t('rangeShown', { from: report.desde, to: report.hasta })),
      csvButton(t('tab_cajas'), '/api/reportes/cajas', query)),
    report.cajas.length ? h('table', { class: 'grid', id: 'cajas' },
      h('thead', {}, h('tr', {}, [t('caja'), t('opened'), t('closed'), t('expected'), t('counted'), t('difference'), t('summary')]
        .map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 5 }, t('totalDifference')), h('td', { class: 'num' }, bs(report.total_diferencia)), h('td', {}))))
      : h('p', { class: 'empty' }, t('noCajas')),
    summary);
}

async function openSummary(caja, box) {
  box.hidden = false;
  box.replaceChildren(h('p', {}, t('loading')));
  try {
    const s = await state.api.cajaSummary(caja.id);
    const item = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
    box.replaceChildren(h('h3', { id: 'caja-summary-title' }, t('cajaSummaryTitle', { id: caja.id })),
      h('dl', { class: 'pairs' },
        item(t('sumSales'), String(s.transacciones)), item(t('sumClosed'), String(s.cerradas)), item(t('sumOpen'), String(s.abiertas)),
        item(t('sumVoided'), String(s.anuladas)), item(t('sumTotal'), bs(s.total_ventas)), item(t('sumPaid'), bs(s.total_pagado)),
        item(t('method_efectivo'), bs(s.pagado_efectivo)), item(t('method_qr'), bs(s.pagado_qr)), item(t('method_tarjeta'), bs(s.pagado_tarjeta ?? '0')),
        item(t('sumPending'), bs(s.pendiente_cobro)), item(t('expected'), bs(caja.efectivo_esperado)), item(t('counted'), bs(caja.efectivo_contado)),
        item(t('difference'), `${bs(caja.diferencia)} (${caja.estado_diferencia || '—'})`)));
    box.querySelector('h3').setAttribute('tabindex', '-1');
    box.querySelector('h3').focus();
  } catch (err) { box.hidden = true; showError(err); }
}

// --- audit -----------------------------------------------------------------------------------

async function showAudit() {
  const view = document.getElementById('view');
  view.replaceChildren(h('h2', {}, t('tab_audit')), h('p', { class: 'empty' }, t('loading')));
  const { desde, hasta } = state.range;
  try {
    state.audit = await state.api.audit({ desde: zonedStart(desde, state.tz), hasta: zonedStart(addDays(hasta, 1), state.tz), limit: 500 });
  } catch (err) { showError(err); return; }
  if (state.tab !== 'audit') return;
  const users = [...new Set(state.audit.map((e) => e.usuario_nombre))].sort();
  const actions = [...new Set(state.audit.map((e) => e.accion))].sort();
  // labelled with `for`, not by wrapping: a wrapping label's name would take in the options' text
  const select = (id, label, values) => h('span', { class: 'inline' }, h('label', { for: id }, label),
    h('select', { id, onchange: () => filter() }, h('option', { value: '' }, t('all')), values.map((v) => h('option', { value: v }, v))));
  const body = h('tbody', {});
  const count = h('p', { id: 'audit-count', role: 'status' });
  const when = new Intl.DateTimeFormat(shell.lang, { timeZone: state.tz, dateStyle: 'short', timeStyle: 'medium' });
  const filter = () => {
    const user = document.getElementById('audit-user').value;
    const action = document.getElementById('audit-action').value;
    const shown = state.audit.filter((e) => (!user || e.usuario_nombre === user) && (!action || e.accion === action));
    body.replaceChildren(...shown.map((e) => h('tr', { dataset: { action: e.accion } },
      h('td', {}, when.format(new Date(e.fecha))), h('td', {}, e.usuario_nombre), h('td', {}, e.accion), h('td', {}, e.objetivo),
      h('td', { class: 'detail' }, Object.entries(e.detalle || {}).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')))));
    count.textContent = t('entries', { count: shown.length });
  };
  view.replaceChildren(
    h('h2', {}, t('tab_audit'), ' · ', t('rangeShown', { from: desde, to: hasta })),
    h('div', { class: 'filters' }, select('audit-user', t('user'), users), select('audit-action', t('action'), actions)),
    count,
    h('table', { class: 'grid', id: 'audit' },
      h('thead', {}, h('tr', {}, [t('when'), t('user'), t('action'), t('target'), t('detail')].map((x) => h('th', { scope: 'col' }, x)))), body));
  filter();
}

// --- staff -----------------------------------------------------------------------------------

// Run one change; show the API's message if it is refused, and `done` if it is not.
async function act(fn, done) {
  clearMessage();
  try {
    const out = await fn();
    const box = document.getElementById('message');
    if (box && done) { box.textContent = done; box.dataset.kind = 'ok'; }
    return out ?? true;
  } catch (err) {
    const box = document.getElementById('message');
    if (box) box.dataset.kind = 'error';
    showError(err);
    return null;
  }
}

async function showStaff() {
  const view = document.getElementById('view');
  view.replaceChildren(h('h2', {}, t('tab_staff')), h('p', { class: 'empty' }, t('loading')));
  try { state.users = await state.api.users(); } catch (err) { showError(err); return; }
  if (state.tab !== 'staff') return;
  const field = (name, label, attrs = {}) => h('label', { class: 'field' }, h('span', {}, label), h('input', { name, required: true, ...attrs }));
  const form = h('form', { id: 'new-user', class: 'panel form-grid', 'aria-labelledby': 'new-user-title', onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const body = { nombre: String(data.get('nombre')).trim(), nombre_usuario: String(data.get('nombre_usuario')).trim(),
      contrasena: String(data.get('contrasena')), rol: data.get('rol'), sucursal_id: state.branch };
    if (await act(() => state.api.createUser(body), t('userCreated', { name: body.nombre_usuario }))) { const msg = document.getElementById('message').textContent; await showStaff(); document.getElementById('message').textContent = msg; }
  } },
  h('h3', { id: 'new-user-title' }, t('newUser')),
  field('nombre', t('fullName'), { autocomplete: 'off' }), field('nombre_usuario', t('username'), { autocomplete: 'off', autocapitalize: 'none' }),
  field('contrasena', t('password'), { type: 'password', autocomplete: 'new-password', minlength: 6 }),
  h('label', { class: 'field' }, h('span', {}, t('role')), h('select', { name: 'rol' }, ROLES.map((r) => h('option', { value: r, selected: r === 'mesero' }, t(`role_${r}`))))),
  h('button', { type: 'submit', class: 'primary' }, t('create')));
  const rows = state.users.map((u) => {
    const reset = h('form', { class: 'reset', hidden: true, onsubmit: async (e) => {
      e.preventDefault();
      const password = reset.querySelector('input').value;
      if (await act(() => state.api.updateUser(u.id, { contrasena: password }), t('passwordReset', { name: u.nombre_usuario }))) reset.hidden = true;
    } }, h('label', { class: 'inline' }, h('span', {}, t('newPassword')),
      h('input', { type: 'password', required: true, minlength: 6, autocomplete: 'new-password', 'aria-label': t('newPasswordFor', { name: u.nombre_usuario }) })),
    h('button', { type: 'submit' }, t('save')));
    let armed = false;
    const deactivate = h('button', { type: 'button', class: 'danger', disabled: !u.activo, 'aria-label': t('deactivateUser', { name: u.nombre_usuario }), onclick: async () => {
      if (!armed) { armed = true; deactivate.textContent = t('confirm'); return; } // a second tap confirms
      if (await act(() => state.api.deactivateUser(u.id), t('userDeactivated', { name: u.nombre_usuario }))) { const msg = document.getElementById('message').textContent; await showStaff(); document.getElementById('message').textContent = msg; }
      else { armed = false; deactivate.textContent = t('deactivate'); }
    } }, t('deactivate'));
    return h('tr', { dataset: { user: u.nombre_usuario }, class: u.activo ? '' : 'inactive' },
      h('td', {}, u.nombre), h('td', {}, u.nombre_usuario),
      h('td', {}, h('select', { 'aria-label': t('roleOf', { name: u.nombre_usuario }), onchange: async (e) => {
        const previous = u.rol;
        const saved = await act(() => state.api.updateUser(u.id, { rol: e.target.value }), t('roleChanged', { name: u.nombre_usuario }));
        if (saved) u.rol = e.target.value; else e.target.value = previous;
      } }, ROLES.map((r) => h('option', { value: r, selected: r === u.rol }, t(`role_${r}`))))),
      h('td', {}, u.activo ? t('active') : t('inactive')),
      h('td', { class: 'actions' }, h('button', { type: 'button', 'aria-label': t('resetPasswordOf', { name: u.nombre_usuario }),
        onclick: () => { reset.hidden = !reset.hidden; if (!reset.hidden) reset.querySelector('input').focus(); } }, t('resetPassword')), deactivate, reset));
  });
  view.replaceChildren(h('h2', {}, t('tab_staff')), form,
    h('table', { class: 'grid', id: 'users' },
      h('thead', {}, h('tr', {}, [t('fullName'), t('username'), t('role'), t('status'), t('actions')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

// --- menu ------------------------------------------------------------------------------------

async function loadCatalog() {
  const [platos, productos] = await Promise.all([state.api.catalog('platos'), state.api.catalog('productos')]);
  state.catalog = { platos, productos };
}

async function showMenu() {
  const view = document.getElementById('view');
  view.replaceChildren(h('h2', {}, t('tab_menu')), h('p', { class: 'empty' }, t('loading')));
  try { await loadCatalog(); } catch (err) { showError(err); return; }
  if (state.tab !== 'menu') return;
  view.replaceChildren(h('h2', {}, t('tab_menu')), h('div', { id: 'catalog' }));
  renderMenuTables();
}

function renderMenuTables() {
  const box = document.getElementById('catalog');
  if (!box || state.tab !== 'menu') return;
  const table = (kind, title, items) => h('section', { class: 'panel', 'aria-labelledby': `${kind}-title` },
    h('h3', { id: `${kind}-title` }, title),
    h('table', { class: 'grid', id: kind },
      h('thead', {}, h('tr', {}, [t('name'), t('price'), kind === 'platos' ? t('soldOut') : t('stock'), t('status'), t('actions')]
        .map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, items.map((item) => catalogRow(kind, item)))));
  box.replaceChildren(table('platos', t('dishes'), state.catalog.platos), table('productos', t('products'), state.catalog.productos));
}

function catalogRow(kind, item) {
  const price = h('input', { type: 'number', step: '0.01', inputmode: 'decimal', value: item.precio, 'aria-label': t('priceOf', { name: item.nombre }) });
  const priceForm = h('form', { class: 'inline-form', onsubmit: async (e) => {
    e.preventDefault();
    const value = Number.parseFloat(price.value);
    if (!Number.isFinite(value)) return;
    const saved = await act(() => state.api.updateCatalog(kind, item.id, { precio: value.toFixed(2) }), t('priceSaved', { name: item.nombre }));
    if (saved) { Object.assign(item, saved); price.value = saved.precio; }
  } }, price, h('button', { type: 'submit', 'aria-label': t('savePriceOf', { name: item.nombre }) }, t('save')));
  const soldOut = kind === 'platos'
    ? h('button', { type: 'button', 'aria-pressed': item.agotado ? 'true' : 'false', 'aria-label': t('soldOutOf', { name: item.nombre }), onclick: async (e) => {
      const saved = await act(() => state.api.updateCatalog(kind, item.id, { agotado: !item.agotado }), t(item.agotado ? 'backOnMenu' : 'markedSoldOut', { name: item.nombre }));
      if (saved) { Object.assign(item, saved); e.target.setAttribute('aria-pressed', item.agotado ? 'true' : 'false'); }
    } }, t('soldOut'))
    : h('span', {}, item.stock ?? '');
  const deactivate = h('button', { type: 'button', class: 'danger', disabled: item.activo === false, 'aria-label': t('deactivateItem', { name: item.nombre }), onclick: async () => {
    if (await act(() => state.api.deactivateCatalog(kind, item.id), t('itemDeactivated', { name: item.nombre }))) {
      item.activo = false;
      deactivate.disabled = true;
      deactivate.closest('tr').querySelector('.state').textContent = t('inactive');
    }
  } }, t('deactivate'));
  return h('tr', { dataset: { id: item.id }, class: item.activo === false ? 'inactive' : '' },
    h('td', {}, item.nombre), h('td', {}, priceForm), h('td', {}, soldOut),
    h('td', { class: 'state' }, item.activo === false ? t('inactive') : t('active')), h('td', { class: 'actions' }, deactivate));
}

// --- boot ------------------------------------------------------------------------------------

shell.applyLanguage();
if (session.claims()) start(null); else shell.showSignIn(session.token ? t('sessionExpired') : '');
