// The server's time as seen from the tablet. Timers use it, so a tablet whose clock is wrong
// still shows how long an order has really waited.
//
// Each REST answer bounds the server's time from below: its `Date` header (whole seconds) and
// every order's start + `elapsed_seconds` (floored). The best bound of the newest answer,
// plus half a second, gives the offset; it is re-measured on every answer, so drift is corrected.
class ServerClock {
  constructor() { this.offsetMs = 0; this.measured = false; this.lastDate = NaN; this.lastAt = 0; }

  _observe(serverLowerBoundMs, receivedAt) {
    this.offsetMs = serverLowerBoundMs + 500 - receivedAt;
    this.measured = true;
  }

  observeDateHeader(value) {
    const t = Date.parse(value || '');
    if (!Number.isFinite(t)) return;
    this.lastDate = t;
    this.lastAt = Date.now();
    this._observe(t, this.lastAt);
  }

  // Orders from the answer whose Date header was observed last. `startOf(order)` is the ISO time
  // its `elapsed_seconds` counts from (the kitchen's: the first firing).
  observeOrders(orders, startOf = (o) => o.created_at) {
    if (!Number.isFinite(this.lastDate)) return;
    const bounds = (orders || []).map((o) => Date.parse(startOf(o)) + o.elapsed_seconds * 1000).filter(Number.isFinite);
    this._observe(Math.max(this.lastDate, ...bounds), this.lastAt);
  }

  now() { return Date.now() + this.offsetMs; }
}

export const clock = new ServerClock();
