// Boot of the meeting inside another site's page (doc/web.md, "Embedding"). plugNmeet's CMS
// plugins print an empty <div id="plugNmeet-app">, load this bundle as a module script and set
// window.plugNmeetConfig (or, in older plugins, globals like PLUG_N_MEET_SERVER_URL). Imported
// first by meeting.js: when the document has no meeting markup, the markup of meeting.html (which
// the bundle carries as text) is mounted inside #plugNmeet-app before any other module runs.
// meetd's own page has the markup already and is left as it is.

import pageHTML from '../../internal/web/static/meeting.html';

export const embedded = !document.getElementById('state-screen');

if (embedded) mount();

function mount() {
  let root = document.getElementById('plugNmeet-app');
  if (!root) {
    root = document.createElement('div');
    root.id = 'plugNmeet-app';
    document.body.append(root);
  }
  const doc = new DOMParser().parseFromString(pageHTML, 'text/html');
  root.replaceChildren(...Array.from(doc.body.childNodes, (n) => document.importNode(n, true)));
  root.classList.add('meetd-embedded');
  document.documentElement.classList.add('meetd-embedded-page');
  // The CMS URL carries the access token: keep it out of Referer headers.
  const meta = document.createElement('meta');
  meta.name = 'referrer';
  meta.content = 'no-referrer';
  document.head.append(meta);
}
