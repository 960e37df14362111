// The whiteboard's editor (doc/web.md, "Whiteboard"): Excalidraw (MIT, with React, MIT) whose
// elements live in a Yjs document (MIT): a Y.Map of the board's elements by id, each the element
// as Excalidraw keeps it. A bundle of its own (internal/web/static/whiteboard/, built by
// web/build.sh), which web/src/whiteboard.js loads with import() only when the board is first
// opened, so that the meeting page's first load stays small.
//
// Concurrent changes: Yjs keeps one value per id on every page; a page that holds a newer
// version of an element (Excalidraw's version, then the lower versionNonce, as its own
// collaboration does: reconcileElements) keeps it and writes it again, so all pages end with the
// newest. An element being drawn is written once it is finished; images (Excalidraw's "files")
// are uploaded apart, once, and an element showing one is written only after its upload.

import React from 'react';
import { createRoot } from 'react-dom/client';
import { Excalidraw, MainMenu, CaptureUpdateAction, exportToBlob, exportToSvg, reconcileElements } from '@excalidraw/excalidraw';
import '@excalidraw/excalidraw/index.css';
import * as Y from 'yjs';

const REMOTE = 'remote';
const LOCAL = 'local';
const FLUSH_AFTER = 200; // ms: changes made meanwhile go into one update
const TXN_BYTES = 40 << 10; // elements written per transaction (an update must stay under 64 KiB)

// plain deep copy: the Yjs document and Excalidraw must never share an object (Excalidraw
// changes its elements in place)
const copy = (v) => JSON.parse(JSON.stringify(v));

// createBoard mounts a board in container. onLocalUpdate(Uint8Array) gets each change made here
// (a Yjs update); onChange() is called after any change. uploadFile({id, mimeType, dataURL})
// and fetchFile(id) → {id, mimeType, dataURL, created} keep the images on meetd.
export function createBoard({ container, assetPath, readOnly, onLocalUpdate, onChange, uploadFile, fetchFile }) {
  window.EXCALIDRAW_ASSET_PATH = assetPath; // fonts from meetd, never from a CDN
  const doc = new Y.Doc();
  const elements = doc.getMap('elements');
  const synced = new Map(); // id → the version the Yjs document holds
  const uploaded = new Set(); // ids of images meetd keeps
  const pending = new Set(); // ids of images being uploaded or fetched
  let api = null;
  let ro = !!readOnly;
  let flushTimer = 0;
  let destroyed = false;
  let started = false; // Excalidraw has the stored board (loaded): remote changes go into its scene
  let startWith;
  const initialData = new Promise((resolve) => (startWith = resolve));

  const root = createRoot(container);
  // the menu without Excalidraw's links to its sites and accounts
  const h = React.createElement;
  const D = MainMenu.DefaultItems;
  const menu = h(MainMenu, null, h(D.ClearCanvas), h(D.ToggleTheme), h(D.ChangeCanvasBackground), h(D.Help));
  const render = () =>
    root.render(
      h(Excalidraw, {
        excalidrawAPI: (a) => {
          if (!api) api = a;
        },
        onChange: changed,
        viewModeEnabled: ro,
        validateEmbeddable: false, // no web embeds: nothing is loaded from elsewhere
        detectScroll: false,
        handleKeyboardGlobally: false,
        initialData, // the stored board, once loaded
        UIOptions: { canvasActions: { loadScene: false, saveToActiveFile: false, export: false, saveAsImage: false }, tools: { image: true } },
      }, menu),
    );
  render();

  doc.on('update', (update, origin) => {
    if (origin === LOCAL) onLocalUpdate(update);
    onChange();
  });
  elements.observe((ev, tr) => {
    if (tr.origin !== LOCAL) applyRemote([...ev.keysChanged]);
  });

  // applyRemote merges the elements of ids from the Yjs document into the scene.
  function applyRemote(ids) {
    if (!api || !started) return; // in the document: Excalidraw starts from it
    const remote = [];
    for (const id of ids) {
      const e = elements.get(id);
      if (!e) continue;
      synced.set(id, e.version);
      remote.push(copy(e));
    }
    if (!remote.length) return;
    const merged = reconcileElements(api.getSceneElementsIncludingDeleted(), remote, api.getAppState());
    api.updateScene({ elements: merged, captureUpdate: CaptureUpdateAction.NEVER });
    fetchMissingFiles(remote);
    scheduleFlush(); // where this page's element won, it writes it again
  }

  // fetchMissingFiles loads from meetd the images that elements show and the page lacks.
  function fetchMissingFiles(els) {
    const have = api.getFiles();
    for (const e of els) {
      const id = e.type === 'image' && !e.isDeleted ? e.fileId : null;
      if (!id || have[id] || pending.has(id)) continue;
      pending.add(id);
      const attempt = (n) =>
        fetchFile(id)
          .then((f) => {
            pending.delete(id);
            uploaded.add(id);
            if (!destroyed) api.addFiles([f]);
          })
          .catch(() => {
            if (n < 5 && !destroyed) setTimeout(() => attempt(n + 1), 1000 * (n + 1)); // its upload may be under way
            else pending.delete(id);
          });
      attempt(0);
    }
  }

  function changed() {
    scheduleFlush();
    onChange();
  }

  function scheduleFlush() {
    if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_AFTER);
  }

  // flush writes the elements changed here into the Yjs document.
  function flush() {
    flushTimer = 0;
    if (!api || ro || destroyed) return;
    const st = api.getAppState();
    const busy = new Set([st.newElement?.id, st.editingTextElement?.id, st.multiElement?.id].filter(Boolean));
    const files = api.getFiles();
    const changes = [];
    for (const e of api.getSceneElementsIncludingDeleted()) {
      if (synced.get(e.id) === e.version) continue;
      if (busy.has(e.id)) continue; // written once finished (a later change calls again)
      if (e.type === 'image' && e.fileId && !uploaded.has(e.fileId)) {
        if (files[e.fileId]) upload(files[e.fileId]);
        continue; // written once its image is on meetd
      }
      const cur = elements.get(e.id);
      if (cur && (cur.version > e.version || (cur.version === e.version && cur.versionNonce <= e.versionNonce))) {
        synced.set(e.id, cur.version); // the document's is as new or newer: it comes back through applyRemote
        continue;
      }
      changes.push(copy(e));
    }
    let batch = [];
    let size = 0;
    const write = () => {
      if (!batch.length) return;
      const b = batch;
      doc.transact(() => {
        for (const e of b) {
          elements.set(e.id, e);
          synced.set(e.id, e.version);
        }
      }, LOCAL);
      batch = [];
      size = 0;
    };
    for (const e of changes) {
      const n = JSON.stringify(e).length;
      if (size + n > TXN_BYTES) write();
      batch.push(e);
      size += n;
    }
    write();
  }

  function upload(f) {
    if (pending.has(f.id) || uploaded.has(f.id)) return;
    pending.add(f.id);
    uploadFile(f)
      .then(() => {
        uploaded.add(f.id);
        scheduleFlush();
      })
      .catch(() => {})
      .finally(() => pending.delete(f.id));
  }

  const live = () => (api ? api.getSceneElements() : []);
  const exportState = () => ({ viewBackgroundColor: api?.getAppState().viewBackgroundColor || '#ffffff', exportBackground: true });

  return {
    // loaded starts Excalidraw from the board as the Yjs document holds it (the stored updates
    // applied). What comes meanwhile, and until Excalidraw has taken it, is merged again after.
    loaded() {
      const els = [...elements.values()].map(copy);
      for (const e of els) synced.set(e.id, e.version);
      startWith({ elements: els, appState: { viewBackgroundColor: '#ffffff', currentItemFontFamily: 5 } });
      const again = () => {
        if (destroyed) return;
        if (!api) return void setTimeout(again, 200); // Excalidraw is still mounting
        started = true;
        applyRemote([...elements.keys()]);
      };
      setTimeout(again, 0);
      setTimeout(again, 1000);
    },
    // apply merges an update of another page (or the server's stored ones).
    apply(update) {
      Y.applyUpdate(doc, update, REMOTE);
    },
    // merge makes one update of several.
    merge(updates) {
      return updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
    },
    // snapshot is one update holding the whole board (for compaction).
    snapshot() {
      return Y.encodeStateAsUpdate(doc);
    },
    // count is the number of elements on the board (not deleted).
    count() {
      return live().length;
    },
    // rendering is what meetd keeps for the API's download: the board as SVG and its scene
    // (without images: meetd has them); maxBytes bounds it (past it the SVG leaves the images out).
    async rendering(maxBytes) {
      const els = live();
      const scene = { elements: copy(els), appState: { viewBackgroundColor: exportState().viewBackgroundColor } };
      let svg = (await exportToSvg({ elements: els, appState: exportState(), files: api.getFiles() })).outerHTML;
      if (svg.length + JSON.stringify(scene).length > maxBytes) {
        svg = (await exportToSvg({ elements: els, appState: exportState(), files: {} })).outerHTML;
      }
      return { svg, scene };
    },
    // png is the board as a PNG picture (a Blob).
    png() {
      return exportToBlob({ elements: live(), appState: exportState(), files: api.getFiles(), mimeType: 'image/png' });
    },
    // svg is the board as an SVG picture (text).
    async svg() {
      return (await exportToSvg({ elements: live(), appState: exportState(), files: api.getFiles() })).outerHTML;
    },
    // addImage puts an image (a Blob) on the board: as the background when locked is true (preload_file).
    async addImage(blob, locked) {
      if (!api) return;
      const dataURL = await new Promise((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => resolve(r.result);
        r.onerror = () => reject(r.error);
        r.readAsDataURL(blob);
      });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const digest = await crypto.subtle.digest('SHA-1', bytes);
      const id = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      const size = await new Promise((resolve) => {
        const img = new Image();
        img.onload = () => resolve({ w: img.naturalWidth, h: img.naturalHeight });
        img.onerror = () => resolve({ w: 800, h: 600 });
        img.src = dataURL;
      });
      const scale = Math.min(1, 1200 / Math.max(size.w, size.h));
      api.addFiles([{ id, mimeType: blob.type, dataURL, created: Date.now() }]);
      const el = {
        type: 'image', id: 'img-' + id.slice(0, 12) + '-' + Date.now().toString(36), fileId: id, status: 'saved', scale: [1, 1],
        x: 0, y: 0, width: size.w * scale, height: size.h * scale, angle: 0, strokeColor: 'transparent', backgroundColor: 'transparent',
        fillStyle: 'solid', strokeWidth: 1, strokeStyle: 'solid', roughness: 0, opacity: 100, groupIds: [], frameId: null,
        roundness: null, seed: Math.floor(Math.random() * 2 ** 31), version: 1, versionNonce: Math.floor(Math.random() * 2 ** 31),
        isDeleted: false, boundElements: null, updated: Date.now(), link: null, locked: !!locked, crop: null,
      };
      // the background goes below everything else
      const els = api.getSceneElementsIncludingDeleted();
      api.updateScene({ elements: locked ? [el, ...els] : [...els, el], captureUpdate: CaptureUpdateAction.IMMEDIATELY });
      api.scrollToContent();
    },
    setReadOnly(v) {
      if (ro === !!v) return;
      ro = !!v;
      render();
      if (!ro) scheduleFlush();
    },
    destroy() {
      destroyed = true;
      clearTimeout(flushTimer);
      root.unmount();
      doc.destroy();
    },
  };
}
