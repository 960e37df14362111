// DocSync keeps one shared Yjs document of a page in step with meetd (doc/web.md, "Shared notes"
// and "Whiteboard"): the notes and the whiteboard each make one per opened editor. It fetches
// every stored update when opened (POST /api/notes/state); applies the updates the data messages
// carry and fetches what it missed (a gap in the seqs, or an update too large for a message) with
// {after: seen}; sends what is made here with POST /api/notes/update, one call at a time (what is
// made meanwhile is merged into the next); compacts when the server asks; and, once it has every
// update up to some seq and nothing unsent, posts the document's rendering, from which meetd
// answers the API's download.

import { toast } from './view.js';
import { t, serverMessage } from './i18n.js';

const SEND_GAP = 150; // ms between two updates sent (the server allows 20 a second)
const GAP_WAIT = 400; // ms a gap may last before the page fetches what it lacks

export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Seqs keeps which updates a page has: seen is the highest seq up to which it has them all;
// latest the highest it knows of.
export class Seqs {
  constructor() {
    this.seen = 0;
    this.latest = 0;
    this.have = new Set(); // had, past seen
  }
  // add records that the page has update seq; true if it was new.
  add(seq) {
    this.latest = Math.max(this.latest, seq);
    if (seq <= this.seen || this.have.has(seq)) return false;
    this.have.add(seq);
    this.advance();
    return true;
  }
  // know records that update seq exists (the page has it or not).
  know(seq) {
    this.latest = Math.max(this.latest, seq);
  }
  // reach records that the page has every update up to seq (a fetch's answer).
  reach(seq) {
    this.latest = Math.max(this.latest, seq);
    if (seq <= this.seen) return;
    this.seen = seq;
    this.advance();
  }
  advance() {
    for (const s of this.have) if (s <= this.seen) this.have.delete(s);
    while (this.have.has(this.seen + 1)) {
      this.seen++;
      this.have.delete(this.seen);
    }
  }
  // gap: the page knows of an update past the ones it has all of.
  get gap() {
    return this.latest > this.seen;
  }
}

export class DocSync {
  // opts:
  //   name: for the console ("notes", "whiteboard")
  //   target: the editor, with apply(bytes), merge(updates) and snapshot()
  //   call(verb, body): POST /api/notes/<verb> for this document; answers the envelope
  //   writable(): whether this page may change the document now
  //   onState(resp): a state answer came (its `locked`)
  //   render(seq): posts the rendering of the document as of seq
  //   renderAfter: ms of quiet before the rendering is posted
  //   batch(queue): [the updates of the next call, the rest] (default: all in one)
  //   loadFailed, saveFailed: the catalogue keys of the toasts
  constructor(opts) {
    this.o = { batch: (q) => [q, []], ...opts };
    this.seqs = new Seqs();
    this.outbox = []; // updates made here, not sent yet
    this.sending = false;
    this.fetching = null;
    this.compactAsked = false;
    this.renderTimer = 0;
    this.gapTimer = 0;
    this.closed = false; // the page moved to another room: late answers are dropped
  }

  close() {
    this.closed = true;
    clearTimeout(this.renderTimer);
    clearTimeout(this.gapTimer);
  }

  // local queues an update made here (the editor's onLocalUpdate).
  local(update) {
    this.outbox.push(update);
    if (this.sending) return;
    this.sending = true;
    setTimeout(() => this.sendNext(), 0);
  }

  // fetchMissing asks for the updates after the ones the page has all of, one fetch at a time;
  // it answers the state (null if refused).
  async fetchMissing(first) {
    if (this.fetching) return this.fetching;
    this.fetching = (async () => {
      const resp = await this.o.call('state', { after: this.seqs.seen });
      if (this.closed) return null;
      if (!resp.status) {
        if (first) toast(t(this.o.loadFailed, { error: serverMessage(resp) }), 'error');
        return null;
      }
      // every update after seen (a compacted document's start with its snapshot, which holds
      // the ones before it): once applied, the page has them all
      const updates = resp.updates || [];
      for (const u of updates) this.o.target.apply(fromBase64(u.data));
      if (updates.length) this.seqs.reach(updates[updates.length - 1].seq);
      this.o.onState(resp);
      if (resp.compact) await this.compact();
      this.renderSoon();
      return resp;
    })();
    try {
      return await this.fetching;
    } finally {
      this.fetching = null;
    }
  }

  // compact replaces the stored updates up to seen by one snapshot of the document, which holds
  // them (the server asks for it past a number of updates).
  async compact() {
    if (this.closed || !this.o.writable() || this.compactAsked || this.seqs.seen < 1) return;
    this.compactAsked = true;
    const c = await this.o.call('compact', { up_to: this.seqs.seen, snapshot: toBase64(this.o.target.snapshot()) });
    this.compactAsked = false;
    if (!c.status) console.warn(`${this.o.name}: compaction refused:`, c.msg);
  }

  // onMessage takes a data message of this document (parseNotesMessage's).
  onMessage(m) {
    if (this.closed) return;
    if (m.update && m.seq > this.seqs.seen) {
      try {
        this.o.target.apply(fromBase64(m.update));
        this.seqs.add(m.seq);
      } catch {
        // a broken message: fetch it instead
      }
    }
    this.seqs.know(m.seq);
    if (this.seqs.gap) {
      // messages of two updates sent at once may come in either order: wait a little first
      clearTimeout(this.gapTimer);
      this.gapTimer = setTimeout(() => {
        if (this.seqs.gap) this.fetchMissing(false);
      }, GAP_WAIT);
    }
  }

  // sendNext sends what was made here, merged into one update a call, SEND_GAP apart.
  async sendNext() {
    while (this.outbox.length && !this.closed) {
      const [batch, rest] = this.o.batch(this.outbox);
      this.outbox = rest;
      if (!this.o.writable()) break; // locked meanwhile: the server would refuse it
      const update = this.o.target.merge(batch);
      const resp = await this.o.call('update', { update: toBase64(update) });
      if (this.closed) return;
      if (resp.status) {
        this.seqs.add(resp.seq);
        if (resp.compact) setTimeout(() => !this.seqs.gap && this.compact(), this.o.renderAfter);
      } else if (resp.status_code === 'TOO_MANY_REQUESTS' || resp.status_code === 'INTERNAL_SERVER_ERROR') {
        this.outbox = [update, ...this.outbox]; // again, a little later
        await new Promise((r) => setTimeout(r, 1000));
      } else {
        toast(t(this.o.saveFailed, { error: serverMessage(resp) }), 'error');
      }
      await new Promise((r) => setTimeout(r, SEND_GAP));
    }
    this.sending = false;
    if (this.seqs.gap) this.fetchMissing(false);
    this.renderSoon();
  }

  // renderSoon posts the rendering once the page is quiet: nothing unsent, no gap.
  renderSoon() {
    clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(async () => {
      const s = this.seqs;
      if (this.closed || !this.o.writable() || this.sending || this.outbox.length || s.gap || s.seen < 1) return;
      try {
        await this.o.render(s.seen);
      } catch (err) {
        console.warn(`${this.o.name}: rendering`, err);
      }
    }, this.o.renderAfter);
  }
}
