// meetd's base URL for the page's calls (doc/web.md, "Embedding"), apart from embed.js so that
// modules with unit tests can import api.js outside a browser.

// serverBase is meetd's base URL, without a trailing "/": plugNmeetConfig.serverUrl, else the
// older plugins' PLUG_N_MEET_SERVER_URL, else where this bundle was loaded from
// (<base>/assets/js/<file>; Joomla 2's plugin can print a config script with a syntax error),
// else the page's own origin.
export function serverBase() {
  if (typeof window === 'undefined') return ''; // not in a browser (the page's unit tests)
  const cfg = window.plugNmeetConfig && typeof window.plugNmeetConfig === 'object' ? window.plugNmeetConfig : {};
  for (const v of [cfg.serverUrl, window.PLUG_N_MEET_SERVER_URL]) {
    if (typeof v === 'string' && /^https?:\/\//i.test(v.trim())) return v.trim().replace(/\/+$/, '');
  }
  const m = /^(https?:\/\/.*?)\/+assets\/js\/[^/]*$/.exec(import.meta.url);
  if (m) return m[1].replace(/\/+$/, '');
  return location.origin;
}
