// The live socket every web app uses: subscribe to one channel (a namespace's JSON frames),
// report live/offline, drop duplicate frames, and reconnect with exponential back-off and jitter.
// The socket's path is the namespace, next to the app's folder (/kds beside /display/ and /pos/).
export function socketUrl(token, override, namespace = 'kds') {
  const url = override ? new URL(override, document.baseURI) : new URL(`../${namespace}`, document.baseURI);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', token);
  return url.toString();
}

// Delay before reconnect attempt `attempt` (0-based): "equal jitter", half fixed and half
// random, so tablets that lost the network together do not come back together.
export function backoffDelay(attempt, baseMs, maxMs, random = Math.random) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

export class LiveFeed {
  // `events`: the prefix of the event names this app handles (`order:` for the kds namespace).
  // `also`: more subscriptions on the same socket, each { channel, events } (the kitchen display
  // hears `menu:` on `branch:<id>` beside its kitchen channel); only `channel`'s acknowledgement
  // makes the feed live, and a frame counts only on the channel that asked for its events.
  constructor({ url, channel, onEvent, onState, baseMs = 1000, maxMs = 30000, remember = 500, events = 'order:', also = [] }) {
    Object.assign(this, { url, channel, onEvent, onState, baseMs, maxMs, remember, events, also });
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.live = false;
    this.stopped = true;
    this.seen = new Set();
    this.duplicates = 0;
  }

  start() {
    this.stopped = false;
    this._open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    this.ws = null;
    this.live = false;
  }

  switchChannel(channel) {
    const previous = this.channel;
    this.channel = channel;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ action: 'unsubscribe', channel: previous }));
      this.live = false; // until the new subscription is acknowledged
      this.ws.send(JSON.stringify({ action: 'subscribe', channel }));
    }
  }

  _setLive(live) {
    this.live = live;
    this.onState(live);
  }

  _open() {
    clearTimeout(this.timer);
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      for (const channel of [this.channel, ...this.also.map((a) => a.channel)]) ws.send(JSON.stringify({ action: 'subscribe', channel }));
    };
    ws.onmessage = (message) => this._frame(message.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this._setLive(false);
      this._retry();
    };
    ws.onerror = () => {};
  }

  _retry() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.baseMs, this.maxMs);
    this.attempt += 1;
    this.nextDelay = delay;
    this.timer = setTimeout(() => this._open(), delay);
  }

  _wanted(event, channel) {
    return [{ channel: this.channel, events: this.events }, ...this.also]
      .some((sub) => sub.channel === channel && event.startsWith(sub.events));
  }

  _frame(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch { return; }
    if (frame.event === 'subscribed' && frame.channel === this.channel) {
      // Only a subscription proves the socket carries events; back-off resets here, not on open.
      this.attempt = 0;
      this._setLive(true);
      return;
    }
    if (frame.event === 'error') return;
    if (!frame.event || !this._wanted(frame.event, frame.channel)) return;
    if (frame.id) {
      if (this.seen.has(frame.id)) { this.duplicates += 1; return; }
      this.seen.add(frame.id);
      if (this.seen.size > this.remember) this.seen.delete(this.seen.values().next().value);
    }
    this.onEvent(frame.event, frame.data);
  }
}
