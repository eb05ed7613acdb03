// The menu panel: every plato of GET /api/platos with its sold-out ("agotado", 86) state, marked and
// un-marked from here by a role with catalog:sold_out, and kept current by `menu:updated` frames.
import { h } from '../common/dom.js';

export class Menu {
  constructor() { this.platos = new Map(); }

  replace(platos) { this.platos = new Map(platos.map((p) => [p.id, p])); }

  // A `menu:updated` frame or a PATCH answer: the plato as it is now (gone when no longer active).
  apply(plato) {
    if (plato.activo === false) this.platos.delete(plato.id);
    else this.platos.set(plato.id, { ...this.platos.get(plato.id), ...plato });
  }

  get soldOut() { return [...this.platos.values()].filter((p) => p.agotado); }

  sorted() {
    return [...this.platos.values()].sort((a, b) => (a.estacion || '').localeCompare(b.estacion || '') || a.nombre.localeCompare(b.nombre));
  }
}

// The header's button: opens the panel and counts the dishes sold out.
export function menuButton(menu, t, { open, onToggle }) {
  const count = menu.soldOut.length;
  return h('button', { type: 'button', class: `menu-open${count ? ' has-sold-out' : ''}`, id: 'menu-open', 'aria-expanded': open ? 'true' : 'false',
    'aria-controls': 'menu-panel', onclick: onToggle },
  t('menu'), count ? h('span', { class: 'sold-out-count' }, ' · ', t('soldOutCount', { count })) : null);
}

export function renderMenuPanel(menu, t, { canMark, onMark, onClose }) {
  const rows = menu.sorted().map((p) => h('li', { class: `plato${p.agotado ? ' agotado' : ''}`, dataset: { platoId: p.id } },
    h('span', { class: 'plato-name' }, p.nombre),
    h('span', { class: 'plato-station' }, p.estacion || ''),
    canMark // a toggle: pressed while sold out
      ? h('button', { type: 'button', class: 'sold-out-toggle', 'aria-pressed': p.agotado ? 'true' : 'false',
        'aria-label': t('soldOutLabel', { name: p.nombre }), onclick: () => onMark(p, !p.agotado) }, t('soldOut'))
      : (p.agotado ? h('span', { class: 'sold-out-badge' }, t('soldOut')) : null)));
  return h('aside', { class: 'menu-panel', id: 'menu-panel', 'aria-labelledby': 'menu-title' },
    h('header', {}, h('h2', { id: 'menu-title' }, t('menuTitle')),
      h('button', { type: 'button', class: 'menu-close', onclick: onClose }, t('close'))),
    rows.length ? h('ul', { class: 'platos' }, rows) : h('p', { class: 'empty-menu' }, t('menuEmpty')));
}
