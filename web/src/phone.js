// Phones and tablets (doc/web.md, "Phones and tablets"): the meeting at 360–430 px wide, in
// landscape and on tablets. On a small screen (PHONE_QUERY) the toolbar keeps one row of the most
// used buttons and a "More" button; the others move into #more-menu, a sheet above the toolbar.
// One panel is open at a time, between the top of the screen and the toolbar (the stylesheet's
// "phone" block reads --controls-h and --kb, which this module keeps). The tiles: gridShape.

import { t } from './i18n.js';

// The strings this module shows: keys of the message catalogues (doc/web.md, "Languages"),
// looked up in the page's language when read.
export const PHONE_KEYS = { more: 'phone.more', moreMenu: 'phone.more_menu', fullScreen: 'phone.full_screen' };
export const PHONE_STRINGS = {
  get more() {
    return t('phone.more');
  },
  get moreMenu() {
    return t('phone.more_menu');
  },
  get fullScreen() {
    return t('phone.full_screen');
  },
};

// A phone, portrait or landscape: narrow, or low (a phone on its side).
export const PHONE_QUERY = '(max-width: 719px), (max-height: 500px)';

// Up to a tablet's width one panel is open at a time (a second one would cover the first).
export const ONE_PANEL_QUERY = '(max-width: 1100px), (max-height: 500px)';

// The toolbar's buttons that stay in its row on a phone; the others go into the "More" menu.
export const MAIN_CONTROLS = ['mic-button', 'camera-button', 'chat-button', 'participants-button', 'more-button', 'leave-button'];

// The panels, each with the button that closes it through its own module.
export const PANELS = [
  ['chat-panel', '.panel-close[data-panel="chat-panel"]'],
  ['participants-panel', '.panel-close[data-panel="participants-panel"]'],
  ['polls-panel', '#polls-close'],
  ['notes-panel', '#notes-close'],
  ['waiting-panel', '#waiting-close'],
];

const GAP = 8; // px between tiles, as #grid's gap
const MIN_TILE = 160; // px: below this the grid scrolls rather than shrink tiles further

// gridShape sizes n tiles in a W×H grid. Elsewhere than on a phone held upright: the largest 16:9
// tiles that fit, in the best number of columns. On a phone held upright (phone and H > W): one or
// two columns of tiles between 16:9 and 3:4 (the videos are cropped to fill them), and from three
// tiles on, the featured one (the active speaker) the full width on top, featureH high.
// Answers {w, h, cols, featureH} in whole px; featureH is 0 without a featured tile.
export function gridShape(n, W, H, phone = false) {
  n = Math.max(n, 1);
  if (!(W > 0 && H > 0)) return { w: 0, h: 0, cols: 1, featureH: 0 };
  if (!phone || H <= W) {
    let best = 0;
    let bestCols = 1;
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const w = (W - (cols - 1) * GAP) / cols;
      const h = (H - (rows - 1) * GAP) / rows;
      const fit = Math.min(w, (h * 16) / 9);
      if (fit > best) {
        best = fit;
        bestCols = cols;
      }
    }
    const w = Math.floor(Math.min(W, Math.max(best, MIN_TILE)));
    return { w, h: Math.floor((w * 9) / 16), cols: bestCols, featureH: 0 };
  }
  let featureH = 0;
  let rest = n;
  let avail = H;
  if (n >= 3) {
    featureH = Math.floor(Math.min((W * 3) / 4, H * 0.45));
    rest = n - 1;
    avail = H - featureH - GAP;
  }
  let best = { w: 0, h: 0, cols: 1, area: -1 };
  for (let cols = 1; cols <= Math.min(2, rest); cols++) {
    const rows = Math.ceil(rest / cols);
    const cellW = (W - (cols - 1) * GAP) / cols;
    const cellH = (avail - (rows - 1) * GAP) / rows;
    let w = cellW;
    let h = Math.min(cellH, (cellW * 4) / 3);
    if (h < (cellW * 9) / 16) {
      // too low for 16:9 at the full width: narrower 16:9 tiles
      h = Math.max(cellH, 0);
      w = (h * 16) / 9;
    }
    if (w * h > best.area) best = { w, h, cols, area: w * h };
  }
  let w = Math.floor(best.w);
  let h = Math.floor(best.h);
  if (w < MIN_TILE) {
    w = Math.floor(Math.min(MIN_TILE, (W - (best.cols - 1) * GAP) / best.cols));
    h = Math.floor((w * 9) / 16);
  }
  return { w, h, cols: best.cols, featureH };
}

// featured chooses the tile shown large on a phone: the latest remote speaker still there, else
// the first remote participant; '' when nobody else is in the meeting.
export function featured(remoteIdentities, lastSpeaker) {
  if (lastSpeaker && remoteIdentities.includes(lastSpeaker)) return lastSpeaker;
  return remoteIdentities[0] || '';
}

// ---------------------------------------------------------------- the page (browser only)

let phoneMedia = null;
let onePanelMedia = null;
let lastSpeaker = '';
let onLayout = () => {};

// isPhone: the page is laid out for a phone now.
export function isPhone() {
  return !!phoneMedia?.matches;
}

// noteSpeakers follows the active speakers (remote identities, loudest first).
export function noteSpeakers(identities) {
  if (identities.length > 0 && identities[0] !== lastSpeaker) {
    lastSpeaker = identities[0];
    if (isPhone()) onLayout();
  }
}

// speaker is the identity of the tile to feature on a phone.
export function speaker(remoteIdentities) {
  return featured(remoteIdentities, lastSpeaker);
}

// initPhone runs once the meeting is built; relayout is the page's layout function.
export function initPhone(relayout) {
  onLayout = relayout;
  const $ = (id) => document.getElementById(id);
  const controls = $('controls');
  if (!controls || $('more-button')) return;

  const more = document.createElement('button');
  more.id = 'more-button';
  more.type = 'button';
  more.className = 'round toggle';
  more.title = PHONE_STRINGS.more;
  more.setAttribute('aria-label', PHONE_STRINGS.more);
  more.setAttribute('aria-haspopup', 'true');
  more.setAttribute('aria-expanded', 'false');
  more.setAttribute('aria-controls', 'more-menu');
  more.dataset.on = 'false';
  more.innerHTML =
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="1"/><circle cx="19" cy="12" r="1"/><circle cx="5" cy="12" r="1"/></svg>'; // constant markup (Feather "more-horizontal", MIT)
  more.hidden = true;
  controls.insertBefore(more, $('leave-button'));

  const menu = document.createElement('div');
  menu.id = 'more-menu';
  menu.setAttribute('role', 'group');
  menu.setAttribute('aria-label', PHONE_STRINGS.moreMenu);
  menu.hidden = true;
  controls.after(menu);

  const setMenu = (open) => {
    if (menu.hidden === !open) return; // (setting it again would wake the observer below)
    menu.hidden = !open;
    more.dataset.on = open ? 'true' : 'false';
    more.setAttribute('aria-expanded', open ? 'true' : 'false');
  };
  more.addEventListener('click', () => {
    const open = menu.hidden;
    if (open) closePanels('');
    setMenu(open);
    if (open) [...menu.querySelectorAll('button')].find((b) => b.offsetParent !== null)?.focus(); // the menu comes after the toolbar in the tab order
  });
  // A choice in the menu closes it (the reaction button opens its emojis in the menu instead).
  menu.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (b && b.id !== 'reaction-button') setMenu(false);
  });
  document.addEventListener('pointerdown', (e) => {
    if (!menu.hidden && !menu.contains(e.target) && !more.contains(e.target)) setMenu(false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !menu.hidden) {
      setMenu(false);
      more.focus();
    }
  });

  // The order of the toolbar's buttons on a large screen, to put them back.
  let order = 0;
  const number = () => {
    for (const el of controls.children) el.dataset.phoneOrder = String(order++);
  };
  const visible = (el) => !el.hidden && (el.tagName === 'BUTTON' || !!el.querySelector(':scope > button:not([hidden])'));
  const arrange = () => {
    if (isPhone()) {
      for (const el of [...controls.children]) {
        if (!MAIN_CONTROLS.includes(el.id)) {
          if (!el.dataset.phoneOrder) el.dataset.phoneOrder = String(Number(el.nextElementSibling?.dataset.phoneOrder ?? order) - 0.5);
          menu.append(el);
        }
      }
      const items = [...menu.children].sort((a, b) => Number(a.dataset.phoneOrder) - Number(b.dataset.phoneOrder));
      if (items.some((el, i) => menu.children[i] !== el)) menu.append(...items);
    } else {
      if (menu.children.length > 0) {
        controls.append(...menu.children);
        const items = [...controls.children].sort((a, b) => Number(a.dataset.phoneOrder ?? 1e9) - Number(b.dataset.phoneOrder ?? 1e9));
        controls.append(...items);
      }
      number();
      setMenu(false);
    }
    const any = [...menu.children].some(visible);
    more.hidden = !isPhone() || !any;
    if (more.hidden) setMenu(false);
    if ([...menu.querySelectorAll('[data-unread]')].some(visible)) more.dataset.unread = '';
    else delete more.dataset.unread;
  };
  number();
  new MutationObserver(arrange).observe(controls, { childList: true });
  new MutationObserver(arrange).observe(menu, { subtree: true, attributes: true, attributeFilter: ['hidden', 'data-unread'] });

  // One panel at a time on a phone or a tablet: opening one closes the others through their own buttons.
  const closePanels = (except) => {
    for (const [id, close] of PANELS) {
      const panel = $(id);
      if (id !== except && panel && !panel.hidden) document.querySelector(close)?.click();
    }
  };
  const panelObserver = new MutationObserver((records) => {
    if (!onePanelMedia?.matches) return;
    for (const r of records) {
      if (!r.target.hidden) {
        setMenu(false);
        closePanels(r.target.id);
      }
    }
  });
  for (const [id] of PANELS) if ($(id)) panelObserver.observe($(id), { attributes: true, attributeFilter: ['hidden'] });

  // The toolbar's height, for the panels above it.
  const root = document.documentElement;
  new ResizeObserver(() => {
    root.style.setProperty('--controls-h', `${Math.ceil(controls.getBoundingClientRect().height)}px`);
  }).observe(controls);

  // The on-screen keyboard: the part of the layout viewport it covers, for the panels to stay above it.
  const vv = window.visualViewport;
  if (vv) {
    const kb = () => {
      // (a pinch zoom shrinks the visual viewport too: no keyboard is counted while zoomed)
      const covered = Math.abs(vv.scale - 1) > 0.01 ? 0 : Math.max(0, Math.round(window.innerHeight - vv.height - vv.offsetTop));
      root.style.setProperty('--kb', `${covered}px`);
    };
    vv.addEventListener('resize', kb);
    vv.addEventListener('scroll', kb);
    kb();
  }

  phoneMedia = window.matchMedia(PHONE_QUERY);
  onePanelMedia = window.matchMedia(ONE_PANEL_QUERY);
  const changed = () => {
    document.body.dataset.phone = isPhone() ? 'true' : 'false';
    arrange();
    if (onePanelMedia.matches) {
      // keep the first open panel only
      const open = PANELS.find(([id]) => $(id) && !$(id).hidden);
      if (open) closePanels(open[0]);
    }
    onLayout();
  };
  phoneMedia.addEventListener('change', changed);
  onePanelMedia.addEventListener('change', changed);
  changed();
}

// screenTools adds a full-screen button to a screen share's tile (any screen size: a phone on its
// side shows the screen on the whole display; pinch zoom works there too).
export function screenTools(root, video) {
  if (!video || root.querySelector('.screen-full')) return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'screen-full';
  b.title = PHONE_STRINGS.fullScreen;
  b.setAttribute('aria-label', PHONE_STRINGS.fullScreen);
  b.innerHTML =
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M8 3H5a2 2 0 0 0-2 2v3m18 0V5a2 2 0 0 0-2-2h-3m0 18h3a2 2 0 0 0 2-2v-3M3 16v3a2 2 0 0 0 2 2h3"/></svg>'; // constant markup (Feather "maximize", MIT)
  b.addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (root.requestFullscreen) root.requestFullscreen().catch(() => video.webkitEnterFullscreen?.());
    else video.webkitEnterFullscreen?.(); // iPhone Safari: only a video goes full screen
  });
  root.append(b);
}
