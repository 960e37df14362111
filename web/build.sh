#!/bin/sh
# Rebuild the browser bundles from web/src, with the exact dependency versions
# of package-lock.json: the meeting page (src/meeting.js →
# internal/web/static/meeting.js, an ES module that carries
# internal/web/static/meeting.html as text, to mount it in CMS pages; served as
# /assets/js/main-module.<hash>.js, which CMS plugins load with type="module")
# and the dashboard
# (src/dashboard.js → internal/web/static/dashboard.js, an ES module). The
# output is committed so `go run ./cmd/meetd` works without npm; running this
# script again gives byte-identical files (esbuild writes no timestamps or
# paths).
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
# bundle SRC FORMAT OUT [more esbuild flags]: the flags every bundle shares
bundle() {
  src=$1 format=$2 out=$3
  shift 3
  ./node_modules/.bin/esbuild "$src" --bundle --minify --format="$format" --target=es2020 \
    --legal-comments=eof --log-level=warning --outfile="../internal/web/static/$out" "$@"
}
bundle src/meeting.js esm meeting.js --loader:.html=text --define:process.env.NODE_ENV='"production"'
bundle src/dashboard.js esm dashboard.js
# the shared notes' editor (src/notes-editor.js: Quill, Yjs, y-quill) and its stylesheet
# (notes-editor.css, Quill's), which the meeting page loads from /static/ only when the notes are
# opened (doc/web.md, "Shared notes")
bundle src/notes-editor.js esm notes-editor.js
# livekit-client's end-to-end encryption worker (src/e2ee-worker.js), a classic worker script
# that the meeting page starts from /static/e2ee-worker.js (doc/web.md, "End-to-end encryption")
bundle src/e2ee-worker.js iife e2ee-worker.js
# backgrounds (doc/web.md, "Backgrounds"): the processor (src/background-processor.js, with
# src/background-shim.js standing in for livekit-client's logger and for MediaPipe Tasks, which it
# does not use) and MediaPipe's selfie segmentation (script, wasm, graph and landscape model, as its
# npm package ships them), which the meeting page loads from /static/background/ only when someone
# picks a background
bundle src/background-processor.js esm background/processor.js \
  --alias:livekit-client=./src/background-shim.js --alias:@mediapipe/tasks-vision=./src/background-shim.js
seg=node_modules/@mediapipe/selfie_segmentation
for f in selfie_segmentation.js selfie_segmentation_solution_simd_wasm_bin.js selfie_segmentation_solution_simd_wasm_bin.wasm \
  selfie_segmentation.binarypb selfie_segmentation_landscape.tflite; do
  install -m 644 "$seg/$f" ../internal/web/static/background/
done
# the whiteboard's editor (src/whiteboard-editor.js: Excalidraw, React, Yjs) with its chunks,
# stylesheet and fonts in internal/web/static/whiteboard/, which the meeting page loads only when
# the board is opened (doc/web.md, "Whiteboard"); esbuild's API, for two small plugins
node whiteboard-build.mjs
