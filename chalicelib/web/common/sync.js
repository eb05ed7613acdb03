// Live when the socket is, polling when it is not: one resync at a time (callers share the one
// in flight), a poll every `pollSeconds` while the socket is down, and a full resync the moment it
// is back (whatever happened while it was down).
export class Resync {
  constructor({ load, pollSeconds }) {
    this.load = load; // async (first: boolean) => void; reads everything from REST and redraws
    this.pollSeconds = pollSeconds;
    this.pollTimer = null;
    this.inFlight = null;
    this.stopped = false;
  }

  now(first = false) {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    this.inFlight = (async () => {
      try { await this.load(first); } finally { this.inFlight = null; }
    })();
    return this.inFlight;
  }

  startPolling() {
    this.stopPolling();
    this.pollTimer = setInterval(() => this.now(false), this.pollSeconds * 1000);
  }

  stopPolling() { clearInterval(this.pollTimer); this.pollTimer = null; }

  get polling() { return this.pollTimer !== null; }

  // The socket went live (stop polling, resync) or dropped (poll until it is back).
  socket(live) {
    if (live) {
      this.stopPolling();
      this.now(false);
    } else if (!this.polling) {
      this.startPolling();
    }
  }

  stop() { this.stopped = true; this.stopPolling(); }
}
