// The background processor: a bundle of its own (internal/web/static/background/processor.js),
// which web/src/background.js loads with import() only when someone picks a background
// (doc/web.md, "Backgrounds"). Per camera frame, MediaPipe's selfie segmentation (wasm on WebGL,
// from @mediapipe/selfie_segmentation) tells the person from the background, and a 2D canvas
// paints the person over a blurred copy of the frame or over a picture. livekit's ProcessorWrapper
// (@livekit/track-processors) carries the frames from the camera track to the processed track that
// LocalVideoTrack.setProcessor publishes. The segmentation's script, wasm and model are served by
// meetd from /static/background/ (copied there from the npm package by web/build.sh): nothing is
// fetched from anywhere else.
import { ProcessorWrapper } from '@livekit/track-processors';

const SEGMENTER_SCRIPT = 'selfie_segmentation.js';
const MODEL_W = 256; // the landscape model's input
const MODEL_H = 144;
const BLUR_PX = 16; // the blur's radius at 720 lines

// unsupported says why this browser cannot process the camera, or '' when it can: 'video',
// 'wasm', 'webgl' or 'blur' (the page says it in its language: UNSUPPORTED in background.js).
export function unsupported() {
  if (!ProcessorWrapper.isSupported || typeof VideoFrame === 'undefined') return 'video';
  if (typeof WebAssembly !== 'object') return 'wasm';
  const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
  if (!gl) return 'webgl';
  const probe = document.createElement('canvas').getContext('2d');
  if (!probe || !('filter' in probe)) return 'blur';
  return '';
}

let loading = null;

// loadSegmenter loads MediaPipe's classic script once (it defines globalThis.SelfieSegmentation).
function loadSegmenter(assets) {
  loading ??= new Promise((resolve, reject) => {
    if (globalThis.SelfieSegmentation) return resolve(globalThis.SelfieSegmentation);
    const s = document.createElement('script');
    s.src = `${assets}/${SEGMENTER_SCRIPT}`;
    s.crossOrigin = 'anonymous';
    s.onload = () => (globalThis.SelfieSegmentation ? resolve(globalThis.SelfieSegmentation) : reject(new Error('the segmentation script did not load')));
    s.onerror = () => {
      loading = null;
      reject(new Error('the segmentation script did not load'));
    };
    document.head.append(s);
  });
  return loading;
}

// Compositor is the transformer ProcessorWrapper drives: one per camera track.
class Compositor {
  constructor(assets, options, onFrame) {
    this.assets = assets;
    this.options = { ...options };
    this.onFrame = onFrame;
    this.segmenter = null;
    this.mask = null;
    this.background = null; // ImageBitmap of the picture, for 'virtual-background'
    this.backgroundURL = '';
  }

  async init({ outputCanvas }) {
    this.closed = false;
    this.canvas = outputCanvas;
    this.ctx = outputCanvas.getContext('2d');
    this.small = document.createElement('canvas'); // the frame at the model's size, for the segmenter
    this.small.width = MODEL_W;
    this.small.height = MODEL_H;
    this.smallCtx = this.small.getContext('2d');
    this.blurred = document.createElement('canvas'); // the background blurred, at the model's size
    this.blurred.width = MODEL_W;
    this.blurred.height = MODEL_H;
    this.blurCtx = this.blurred.getContext('2d');
    this.count = 0;
    this.transformer = new TransformStream({ transform: (frame, controller) => this.transform(frame, controller) });
    if (!this.segmenter) {
      const SelfieSegmentation = await loadSegmenter(this.assets);
      const segmenter = new SelfieSegmentation({ locateFile: (file) => `${this.assets}/${file}` });
      // the landscape model (256×144: a camera's shape), run on the CPU (wasm SIMD): its WebGL path
      // was tens of times slower where WebGL is software (doc/web.md, "Backgrounds")
      segmenter.setOptions({ modelSelection: 1, useCpuInference: true });
      segmenter.onResults((r) => {
        this.mask = r.segmentationMask;
      });
      await segmenter.initialize();
      this.segmenter = segmenter;
    }
    await this.update(this.options);
  }

  async restart(opts) {
    this.canvas = opts.outputCanvas;
    this.ctx = this.canvas.getContext('2d');
  }

  // destroy ends the processing; the segmenter stays when the track restarts (a camera turned off
  // and on again, another device): ProcessorWrapper calls init again then.
  async destroy(opts) {
    this.closed = true;
    if (opts?.willProcessorRestart) return;
    await this.segmenter?.close().catch(() => {});
    this.segmenter = null;
    this.background?.close?.();
    this.background = null;
  }

  async update(options) {
    this.options = { ...this.options, ...options };
    const path = this.options.mode === 'virtual-background' ? this.options.imagePath : '';
    if (path && path !== this.backgroundURL) {
      const img = new Image();
      img.src = path;
      await img.decode();
      this.background?.close?.();
      this.background = await createImageBitmap(img);
      this.backgroundURL = path;
    }
  }

  async transform(frame, controller) {
    const w = frame.displayWidth;
    const h = frame.displayHeight;
    if (!w || !h || this.closed || !this.segmenter) {
      controller.enqueue(frame);
      return;
    }
    const started = performance.now();
    try {
      this.smallCtx.drawImage(frame, 0, 0, MODEL_W, MODEL_H);
      // every other frame is segmented, the mask kept between: half the CPU, a person's outline
      // moves little in a 15th of a second
      if (!this.mask || this.count++ % 2 === 0) await this.segmenter.send({ image: this.small });
      if (this.canvas.width !== w || this.canvas.height !== h) {
        this.canvas.width = w;
        this.canvas.height = h;
      }
      this.paint(frame, w, h);
      controller.enqueue(new VideoFrame(this.canvas, { timestamp: frame.timestamp }));
      this.onFrame?.(performance.now() - started);
    } catch (err) {
      console.warn('background: a frame could not be processed', err);
      controller.enqueue(frame.clone());
    } finally {
      frame.close();
    }
  }

  // paint draws the person (where the mask is) over the chosen background.
  paint(frame, w, h) {
    const c = this.ctx;
    c.save();
    c.globalCompositeOperation = 'copy';
    c.filter = 'none';
    if (this.mask) c.drawImage(this.mask, 0, 0, w, h);
    c.globalCompositeOperation = 'source-in';
    c.drawImage(frame, 0, 0, w, h);
    c.globalCompositeOperation = 'destination-over';
    if (this.options.mode === 'virtual-background' && this.background) {
      const b = this.background;
      const s = Math.max(w / b.width, h / b.height); // cover the frame, cut the rest
      c.drawImage(b, (w - b.width * s) / 2, (h - b.height * s) / 2, b.width * s, b.height * s);
    } else {
      // blurred at the model's size, where it costs a 25th of the full frame's, then scaled up:
      // the blur hides the scaling; drawn past the edges, so they are not pale
      const r = Math.max(2, Math.round((BLUR_PX * MODEL_H) / 720));
      this.blurCtx.filter = `blur(${r}px)`;
      this.blurCtx.drawImage(this.small, -r, -r, MODEL_W + 2 * r, MODEL_H + 2 * r);
      c.drawImage(this.blurred, 0, 0, w, h);

    }
    c.restore();
  }
}

// create makes a processor for one camera track. assets is the URL of /static/background on meetd;
// choice is { mode: 'background-blur' } or { mode: 'virtual-background', imagePath }; onFrame is
// called after each processed frame with the milliseconds it took.
export function create(assets, choice, onFrame) {
  return new ProcessorWrapper(new Compositor(assets, choice, onFrame), 'meetd-background');
}

// switchTo changes what a running processor paints behind the person.
export function switchTo(processor, choice) {
  return processor.transformer.update(choice);
}
