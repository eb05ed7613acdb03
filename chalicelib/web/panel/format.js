// Days and money as the dashboard shows them. Reports count in the branch's local days, so "today"
// is the branch's today (from the server's clock), not the device's.

// 'YYYY-MM-DD' of the instant `ms` in time zone `tz`.
export function dayIn(tz, ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(ms).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// How far `tz`'s wall clock is ahead of UTC at the instant `ms`, in ms (La Paz: -4 h).
export function zoneOffsetMs(tz, ms) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

// The UTC instant (ISO) at which local day `day` starts in `tz` (what the audit trail filters on).
export function zonedStart(day, tz) {
  const guess = Date.parse(`${day}T00:00:00Z`);
  return new Date(guess - zoneOffsetMs(tz, guess)).toISOString();
}

// The API's 2-decimal strings, shown as the point of sale shows them.
export function bs(value) {
  const n = Number(value);
  return Number.isFinite(n) ? `Bs ${n.toFixed(2)}` : `Bs ${value}`;
}

export function shortDay(day) {
  return `${day.slice(8, 10)}/${day.slice(5, 7)}`;
}

export function weekday(day, lang) {
  return new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
}
