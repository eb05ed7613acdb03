// The "today" strip: per station, the tickets done today, their median time and how many ran late
// (GET /api/reportes/cocina, the branch's day). Re-read when the kitchen moves, at most once per
// `everyMs`: the first change reads at once, later ones within the gap make one trailing read.
import { h } from '../common/dom.js';
import { formatElapsed } from './board.js';

export class Throttle {
  constructor(run, everyMs) {
    Object.assign(this, { run, everyMs });
    this.last = -Infinity;
    this.timer = null;
    this.running = false;
    this.again = false;
  }

  poke() {
    if (this.running) { this.again = true; return; }
    if (this.timer) return;
    const wait = this.last + this.everyMs - Date.now();
    if (wait <= 0) this._go();
    else this.timer = setTimeout(() => { this.timer = null; this._go(); }, wait);
  }

  async _go() {
    this.running = true;
    this.last = Date.now();
    try { await this.run(); } catch { /* the next poke tries again */ } finally {
      this.running = false;
      if (this.again) { this.again = false; this.poke(); }
    }
  }

  stop() { clearTimeout(this.timer); this.timer = null; this.run = async () => {}; }
}

export function renderToday(report, t) {
  const days = report ? report.dias : [];
  const totals = days.reduce((sum, d) => ({ tickets: sum.tickets + d.tickets, late: sum.late + d.tickets_tarde }), { tickets: 0, late: 0 });
  const figures = days.map((d) => h('span', { class: 'today-station', dataset: { station: d.estacion } },
    h('strong', {}, d.estacion), ' ',
    h('span', { class: 'today-tickets' }, t('todayTickets', { count: d.tickets })), ' · ',
    h('span', { class: 'today-median' }, t('todayMedian', { time: d.tickets_p50_segundos == null ? '–' : formatElapsed(d.tickets_p50_segundos * 1000) })), ' · ',
    h('span', { class: `today-late${d.tickets_tarde ? ' some' : ''}` }, t('todayLate', { count: d.tickets_tarde }))));
  return h('section', { class: 'today', id: 'today', 'aria-label': t('today'), 'aria-live': 'off',
    dataset: { tickets: totals.tickets, late: totals.late, loaded: report ? 'yes' : 'no' } },
  h('span', { class: 'today-title' }, t('today')),
  ...(report ? (figures.length ? figures : [h('span', { class: 'today-none' }, t('todayNone'))]) : [h('span', { class: 'today-none' }, '…')]));
}
