// Builds the whiteboard's editor (src/whiteboard-editor.js: Excalidraw, React, Yjs) into
// internal/web/static/whiteboard/: whiteboard-editor.js, its chunks (Excalidraw's languages and
// rarely used parts stay apart, loaded when needed), whiteboard-editor.css and Excalidraw's fonts
// (fonts/, all but the CJK family Xiaolai, 13 MB). Called by build.sh (doc/web.md, "Whiteboard").
//
// Excalidraw looks for a font first under window.EXCALIDRAW_ASSET_PATH (meetd's
// /static/whiteboard/), then on a CDN: the plugin below removes the CDN, so that nothing is ever
// fetched from elsewhere (a font that is not shipped falls back to the system's fonts).

import * as esbuild from 'esbuild';
import { cpSync, readFileSync, rmSync } from 'node:fs';

const out = '../internal/web/static/whiteboard';
const prod = 'node_modules/@excalidraw/excalidraw/dist/prod';

const noCDN = {
  name: 'excalidraw-no-cdn',
  setup(build) {
    let removed = 0;
    build.onLoad({ filter: /@excalidraw[\\/]excalidraw[\\/]dist[\\/]prod[\\/].*\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const code = src.replace(/\b\w+\.push\(new URL\(\w+,\w+\.ASSETS_FALLBACK_URL\)\)/g, () => {
        removed++;
        return '0';
      });
      return { contents: code, loader: 'js' };
    });
    build.onEnd(() => {
      if (removed !== 1) throw new Error(`whiteboard: expected to remove Excalidraw's CDN fallback once, removed it ${removed} times`);
    });
  },
};

// Mermaid diagrams (Excalidraw's "text to diagram" and the paste of Mermaid text) would add 6 MB
// of parsers to the binary: they answer that they are not part of meetd's board.
const noMermaid = {
  name: 'excalidraw-no-mermaid',
  setup(build) {
    build.onResolve({ filter: /^@excalidraw\/mermaid-to-excalidraw$/ }, () => ({ path: 'mermaid', namespace: 'meetd-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'meetd-stub' }, () => ({
      contents: 'export async function parseMermaidToExcalidraw() { throw new Error("Mermaid diagrams are not part of this whiteboard"); }',
      loader: 'js',
    }));
  },
};

rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: ['src/whiteboard-editor.js'],
  bundle: true,
  minify: true,
  format: 'esm',
  splitting: true,
  target: 'es2020',
  legalComments: 'eof',
  logLevel: 'warning',
  outdir: out,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  define: { 'process.env.NODE_ENV': '"production"', 'import.meta.env': '{"PROD":true,"DEV":false}' },
  conditions: ['production'],
  external: ['*.woff2'], // Excalidraw's UI fonts: copied beside the stylesheet below
  plugins: [noCDN, noMermaid],
});
cpSync(`${prod}/fonts`, `${out}/fonts`, { recursive: true, filter: (src) => !src.includes('Xiaolai') });
