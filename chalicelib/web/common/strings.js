// How every web app reads its one strings file: { es: {...}, en: {...} }, Spanish the default.
// A string with plural forms is { one, other }, chosen by params.count; {name} is replaced by params.name.
export function translatorFor(strings, fallback = 'es') {
  return (lang) => {
    const table = strings[lang] || strings[fallback];
    return (key, params = {}) => {
      const entry = table[key] ?? strings[fallback][key] ?? key;
      const text = typeof entry === 'string' ? entry : (params.count === 1 ? entry.one : entry.other);
      return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
    };
  };
}

// The page's language: ?lang=, else what this device chose last, else Spanish.
export function pickLanguage(languages, key) {
  const asked = new URLSearchParams(location.search).get('lang') || localStorage.getItem(key) || 'es';
  return languages.includes(asked) ? asked : 'es';
}
