// Stands in for two packages in the background processor's bundle (web/build.sh aliases them here):
// @livekit/track-processors takes only getLogger from livekit-client (a second copy of
// livekit-client would weigh more than the processor), and the background processor uses only
// its ProcessorWrapper, not its MediaPipe Tasks segmenter (@mediapipe/tasks-vision, whose model is
// not in an npm package; doc/web.md, "Backgrounds").
const quiet = () => {};
const logger = {
  trace: quiet,
  debug: quiet,
  info: quiet,
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
  setLevel: quiet,
  setDefaultLevel: quiet,
  getLevel: () => 3,
};

export function getLogger() {
  return logger;
}

function absent() {
  throw new Error('MediaPipe Tasks is not part of meetd');
}
export const FilesetResolver = { forVisionTasks: absent };
export const ImageSegmenter = { createFromOptions: absent };
