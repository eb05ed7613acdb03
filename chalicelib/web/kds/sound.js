// A short two-tone chime through Web Audio. Browsers only start audio after a user gesture,
// so `enable()` must run from a tap.
export class Chime {
  constructor() { this.context = null; this.played = 0; }

  get enabled() { return this.context !== null && this.context.state === 'running'; }

  async enable() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return false;
    this.context = this.context || new Ctx();
    if (this.context.state !== 'running') await this.context.resume();
    return this.enabled;
  }

  play() {
    if (!this.enabled) return false;
    const ctx = this.context;
    const start = ctx.currentTime;
    [880, 1320].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const t = start + i * 0.18;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.17);
    });
    this.played += 1;
    document.body.dataset.chimes = String(this.played);
    return true;
  }
}
