// The dashboard's charts, drawn by the vendored uPlot (vendor/uplot.js, MIT): one function per
// kind the dashboard needs. Each chart's canvas is an image with a text alternative (its title
// and figures); the legend and the title are uPlot's own DOM.
import uPlot from './vendor/uplot.js';

export const COLORS = ['#0b5c4a', '#c2410c', '#1f6feb', '#7c3aed'];
const AXIS = { stroke: '#1d1d1b', grid: { stroke: '#e4e0d6' }, ticks: { stroke: '#d6d1c4' }, font: '13px system-ui, sans-serif' };

function widthOf(el) { return Math.max(280, Math.floor(el.clientWidth || 560)); }

function draw(el, opts, data, summary) {
  el.replaceChildren();
  const chart = new uPlot({ width: widthOf(el), height: 260, ...opts }, data, el);
  chart.ctx.canvas.setAttribute('role', 'img');
  chart.ctx.canvas.setAttribute('aria-label', summary);
  return chart;
}

// Categories on x (hours, dishes, methods, stations): one tick each, labelled by name. `series`:
// [{ label, values }]; `bars` draws bars (side by side when there are several), else lines.
export function categoryChart(el, { title, xLabel, yLabel, categories, series, bars = true, summary, format = String, labelWidth = 44 }) {
  const n = categories.length;
  const every = Math.max(1, Math.ceil((n * labelWidth) / (widthOf(el) - 90))); // a label every `every` ticks, so names never overlap
  const width = series.length > 1 ? 0.8 / series.length : 0.6;
  const paths = (i) => (bars ? uPlot.paths.bars({ size: [width, 80], align: series.length > 1 ? (i === 0 ? -1 : 1) : 0 }) : undefined);
  const opts = {
    title,
    legend: { live: false },
    cursor: { show: false },
    scales: { x: { time: false, range: [-0.5, Math.max(0.5, n - 0.5)] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...AXIS, label: xLabel, splits: () => categories.map((_, i) => i), values: (u, splits) => splits.map((i) => (i % every === 0 ? categories[i] ?? '' : '')),
        rotate: 0, size: 40, gap: 4 },
      { ...AXIS, label: yLabel, size: 70, values: (u, splits) => splits.map(format) },
    ],
    series: [
      { label: xLabel },
      ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], fill: bars ? COLORS[i % COLORS.length] : undefined,
        width: bars ? 0 : 2, paths: paths(i), points: { show: !bars, size: 6, fill: COLORS[i % COLORS.length] } })),
    ],
  };
  return draw(el, opts, [categories.map((_, i) => i), ...series.map((s) => s.values)], summary);
}
