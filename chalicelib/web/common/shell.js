// What every web app keeps around its screens: its language (asked with ?lang=, kept per device
// under `<app>.lang`), the sign-in screen, and what a 401 means anywhere: back to sign-in, with a
// message. `start(user)` runs the app once signed in; `stop()` stops whatever it runs.
import { ApiError } from './api.js';
import { h } from './dom.js';
import { signInForm } from './session.js';
import { pickLanguage } from './strings.js';

export class Shell {
  constructor({ app, root, session, languages, translator, start, stop }) {
    Object.assign(this, { app, root, session, languages, translator, start, stop });
    this.lang = pickLanguage(languages, `${app}.lang`);
    this.t = translator(this.lang);
  }

  applyLanguage() {
    this.t = this.translator(this.lang);
    document.documentElement.lang = this.lang;
    document.title = `Comanda · ${this.t('appTitle')}`;
  }

  languageButton(rerender) {
    const other = this.languages.find((l) => l !== this.lang);
    return h('button', { type: 'button', class: 'lang', lang: other, onclick: () => {
      this.lang = other;
      localStorage.setItem(`${this.app}.lang`, other);
      this.applyLanguage();
      rerender();
    } }, this.t('language'));
  }

  showSignIn(message = '') {
    this.stop();
    this.applyLanguage();
    const { form, error } = signInForm({ t: this.t, store: this.session, message, onSignedIn: (reply) => this.start(reply.usuario) });
    this.root.replaceChildren(h('main', { class: 'signin-screen' },
      h('h1', {}, 'Comanda · ', this.t('signInTitle')), form, this.languageButton(() => this.showSignIn(error.textContent))));
    form.querySelector('input').focus();
  }

  signOut(message = '') {
    const atSignIn = !this.session.token && this.root.querySelector('.signin-screen');
    this.session.token = null;
    if (atSignIn && !message) return; // a late caller (a request that was in flight) keeps what sign-in says
    this.showSignIn(message);
  }

  // An expired or revoked session returns to sign-in; true when it did (the caller stops there).
  failed(err) {
    if (err instanceof ApiError && err.status === 401) {
      this.signOut(this.t('sessionExpired'));
      return true;
    }
    return false;
  }
}
