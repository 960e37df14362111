// The worker that encrypts and decrypts media frames for livekit-client's end-to-end encryption
// (e2ee.js). build.sh bundles it to internal/web/static/e2ee-worker.js, a classic worker script
// served by meetd like the page's other files.
import 'livekit-client/e2ee-worker';
