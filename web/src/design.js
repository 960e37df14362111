// The CMS's design customisation (doc/web.md, "Design customisation"): plugNmeet's
// plugNmeetConfig.designCustomization (an object or JSON text; older plugins:
// window.DESIGN_CUSTOMIZATION; LTI: ?custom_design= in the page's URL) and
// plugNmeetConfig.customLogo. Colours become a stylesheet, images and the custom stylesheet are
// taken only as absolute http(s) URLs, so that no value can add CSS of its own.

// The keys plugNmeet's client reads, and what each colours in meetd's page.
const COLOURS = {
  primary_color: [':root', '--accent', '--accent-2', '--accent-fill'],
  background_color: ['body, #state-screen, #stage', 'background'],
  header_bg_color: ['.topbar', 'background'],
  footer_bg_color: ['#controls', 'background'],
  footer_icon_bg_color: ['#controls .round:not([data-on="false"]), #controls .pill:not(.primary):not(.toggle)', 'background'],
  footer_icon_color: ['#controls .round:not([data-on="false"]), #controls .pill:not(.primary):not(.toggle)', 'color'],
  side_panel_bg_color: ['.panel', 'background'],
  primary_btn_bg_color: ['.pill.primary, .round.toggle[data-on="true"]', 'background'],
  primary_btn_text_color: ['.pill.primary, .round.toggle[data-on="true"]', 'color'],
  secondary_btn_bg_color: ['.pill:not(.primary):not(.danger):not(.toggle):not(.danger-outline)', 'background'],
  secondary_btn_text_color: ['.pill:not(.primary):not(.danger):not(.toggle):not(.danger-outline)', 'color'],
};

// colour returns v if it is a CSS colour written plainly (#rgb…#rrggbbaa, rgb()/rgba()/hsl()/hsla()
// of numbers, or a colour name), else ''.
export function colour(v) {
  if (typeof v !== 'string') return '';
  v = v.trim();
  if (/^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(v)) return v;
  if (/^(?:rgba?|hsla?)\(\s*[0-9.%\s,/+-]+\)$/i.test(v) && v.length <= 64) return v;
  if (/^[a-z]{3,30}$/i.test(v)) return v;
  return '';
}

// httpURL returns v as an absolute http(s) URL (its normalised form: quotes, spaces and line ends
// percent-encoded), else ''.
export function httpURL(v, base) {
  if (typeof v !== 'string' || !v.trim()) return '';
  try {
    const u = new URL(v.trim(), base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
    return u.href.replace(/["'\\()\s]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
  } catch {
    return '';
  }
}

// parseDesign reads a designCustomization value: an object, or JSON text of one; {} otherwise.
export function parseDesign(v) {
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

// designOf turns the customisation into what the page applies: css (a stylesheet of the valid
// colours and the background image), logo and stylesheet (URLs, '' if none), and ignored (the
// keys given with a value that is not valid, for the console).
export function designOf(params, customLogo, base) {
  const rules = [];
  const ignored = [];
  const p = { ...params };
  if (!p.side_panel_bg_color && p.right_side_bg_color) p.side_panel_bg_color = p.right_side_bg_color; // plugNmeet's older name
  if (!p.primary_btn_bg_color && p.primary_color) p.primary_btn_bg_color = p.primary_color;
  if (!p.secondary_btn_bg_color && p.secondary_color) p.secondary_btn_bg_color = p.secondary_color;
  for (const [key, [selector, ...props]] of Object.entries(COLOURS)) {
    if (p[key] === undefined || p[key] === '') continue;
    const c = colour(p[key]);
    if (!c) {
      ignored.push(key);
      continue;
    }
    rules.push(`${selector} { ${props.map((prop) => `${prop}: ${c} !important;`).join(' ')} }`);
  }
  if (p.background_image) {
    const u = httpURL(p.background_image, base);
    if (u) rules.push(`body, #state-screen, #stage { background: url("${u}") center / cover no-repeat !important; }`);
    else ignored.push('background_image');
  }
  let logo = '';
  const logos = [p.custom_logo, customLogo && customLogo.main_logo_dark, customLogo && customLogo.main_logo_light];
  for (const l of logos) {
    if (l && !logo) logo = httpURL(l, base);
  }
  if (p.custom_logo && !httpURL(p.custom_logo, base)) ignored.push('custom_logo');
  const stylesheet = p.custom_css_url ? httpURL(p.custom_css_url, base) : '';
  if (p.custom_css_url && !stylesheet) ignored.push('custom_css_url');
  return { css: rules.join('\n'), logo, stylesheet, ignored };
}

// applyDesign applies the page's customisation, if any; called once at start.
export function applyDesign() {
  const cfg = window.plugNmeetConfig && typeof window.plugNmeetConfig === 'object' ? window.plugNmeetConfig : {};
  let raw = new URLSearchParams(location.search).get('custom_design');
  if (!raw || raw === '{}') raw = cfg.designCustomization !== undefined ? cfg.designCustomization : window.DESIGN_CUSTOMIZATION;
  const d = designOf(parseDesign(raw), cfg.customLogo, location.href);
  if (d.ignored.length) console.warn(`designCustomization: ignored ${d.ignored.join(', ')} (not a colour or an http(s) URL)`);
  if (d.stylesheet) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = d.stylesheet;
    link.id = 'meetd-custom-css';
    document.head.append(link);
  }
  if (d.css) {
    const style = document.createElement('style');
    style.id = 'meetd-design';
    style.textContent = d.css;
    document.head.append(style);
  }
  const title = document.getElementById('room-title');
  if (d.logo && title) {
    const img = document.createElement('img');
    img.id = 'custom-logo';
    img.className = 'custom-logo';
    img.src = d.logo;
    img.alt = '';
    img.referrerPolicy = 'no-referrer';
    title.before(img);
  }
}
