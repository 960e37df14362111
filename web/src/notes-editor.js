// The shared notes' editor (doc/web.md, "Shared notes"): Quill (BSD-3-Clause) bound to a Yjs
// document (MIT) by y-quill (MIT). A bundle of its own (internal/web/static/notes-editor.js and
// notes-editor.css, built by web/build.sh), which web/src/notes.js loads with import() only when
// the notes are first opened, so that the meeting page's first load stays small.

import Quill from 'quill';
import * as Y from 'yjs';
import { QuillBinding } from 'y-quill';
import 'quill/dist/quill.snow.css';

const REMOTE = 'remote';

// createEditor mounts an editor in container. onLocalUpdate(Uint8Array) gets each change typed
// here (a Yjs update); onChange() is called after any change, typed or received; placeholder is
// the empty editor's text, in the page's language.
export function createEditor({ container, onLocalUpdate, onChange, readOnly, placeholder }) {
  const doc = new Y.Doc();
  const text = doc.getText('quill');
  const quill = new Quill(container, {
    theme: 'snow',
    placeholder: placeholder || '',
    readOnly: !!readOnly,
    modules: {
      toolbar: [[{ header: [1, 2, 3, false] }], ['bold', 'italic', 'underline', 'strike'], [{ list: 'ordered' }, { list: 'bullet' }, { list: 'check' }], ['blockquote', 'code-block', 'link'], ['clean']],
      history: { userOnly: true },
    },
  });
  const binding = new QuillBinding(text, quill);
  doc.on('update', (update, origin) => {
    if (origin !== REMOTE) onLocalUpdate(update);
    onChange();
  });
  return {
    // apply merges an update of another page (or the server's stored ones).
    apply(update) {
      Y.applyUpdate(doc, update, REMOTE);
    },
    // merge makes one update of several (to send a burst of typing in one call).
    merge(updates) {
      return updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
    },
    // snapshot is one update holding the whole document (for compaction).
    snapshot() {
      return Y.encodeStateAsUpdate(doc);
    },
    // delta is the text as a Quill delta (the rendering the server keeps).
    delta() {
      return { ops: quill.getContents().ops };
    },
    text() {
      return quill.getText();
    },
    setReadOnly(ro) {
      quill.enable(!ro);
    },
    focus() {
      quill.focus();
    },
    destroy() {
      binding.destroy();
      doc.destroy();
    },
  };
}
