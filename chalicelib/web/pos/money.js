// Money as the API carries it (2-decimal strings) and as the screen adds it: whole cents, never floats.
export function cents(value) {
  const text = String(value ?? '0').trim().replace(',', '.');
  const match = /^(-?)(\d*)(?:\.(\d{0,2})\d*)?$/.exec(text);
  if (!match) return NaN;
  const whole = Number.parseInt(match[2] || '0', 10);
  const frac = Number.parseInt((match[3] || '').padEnd(2, '0'), 10);
  return (match[1] ? -1 : 1) * (whole * 100 + frac);
}

export function toMoney(c) {
  const sign = c < 0 ? '-' : '';
  const abs = Math.abs(c);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function bs(c) { return `Bs ${toMoney(c)}`; }

// The drawer's denominations (COMPAT A), in cents.
export const DENOMINATIONS = [
  ['b200', 20000, 'Bs 200'], ['b100', 10000, 'Bs 100'], ['b50', 5000, 'Bs 50'], ['b20', 2000, 'Bs 20'],
  ['b10', 1000, 'Bs 10'], ['b5', 500, 'Bs 5'], ['m2', 200, 'Bs 2'], ['m1', 100, 'Bs 1'],
  ['m050', 50, 'Bs 0.50'], ['m020', 20, 'Bs 0.20'], ['m010', 10, 'Bs 0.10'],
];

export function countTotal(counts) {
  return DENOMINATIONS.reduce((sum, [name, value]) => sum + value * (counts[name] || 0), 0);
}
