var d=()=>{},C={trace:d,debug:d,info:d,warn:(...a)=>console.warn(...a),error:(...a)=>console.error(...a),setLevel:d,setDefaultLevel:d,getLevel:()=>3};function k(){return C}var F=(a=>(a.ProcessorWrapper="livekit-processor-wrapper",a.BackgroundProcessor="livekit-background-processor",a.WebGl="livekit-track-processor-web-gl",a))(F||{}),B=c("livekit"),Y=Object.values(F).map(a=>c(a));B.setDefaultLevel(2);function c(a){return k(a)}var y=c("livekit-processor-wrapper"),I="onmessage = (e) => { setTimeout(() => postMessage(0), e.data); };";function L(a,t){let r=R(a,t),e;try{let i=URL.createObjectURL(new Blob([I],{type:"text/javascript"}));e=new Worker(i),URL.revokeObjectURL(i)}catch(i){return y.warn("Frame ticker worker could not be created, falling back to a window timer",i),r}return e.onmessage=()=>{r?.stop(),r=void 0;try{t()}finally{e.postMessage(a)}},e.onerror=i=>{e.terminate(),y.warn("Frame ticker worker failed, falling back to a window timer",i),r??(r=R(a,t))},e.postMessage(a),{stop(){e.terminate(),r?.stop()}}}function R(a,t){let r=setTimeout(function e(){r=setTimeout(e,a),t()},a);return{stop(){clearTimeout(r)}}}var X=()=>typeof OffscreenCanvas<"u";async function _(a){return new Promise(t=>setTimeout(t,a))}async function N(a){await _(10);let r=Date.now();for(;Date.now()-r<500;){let{width:e,height:i}=a.getSettings();if(e&&i)return{width:e,height:i};await _(50)}return{width:void 0,height:void 0}}function S(a,t){if(X())return new OffscreenCanvas(a,t);let r=document.createElement("canvas");return r.width=a,r.height=t,r}var g=class A{constructor(t,r,e={}){this.useStreamFallback=!1,this.processingEnabled=!1,this.log=c("livekit-processor-wrapper"),this.lifecycleState="idle";var i;if(this.name=r,this.transformer=t,this.maxFps=(i=e.maxFps)!=null?i:30,!Number.isFinite(this.maxFps)||this.maxFps<=0)throw new RangeError(`maxFps must be a positive number, got ${this.maxFps}`)}static get isSupported(){let t=typeof MediaStreamTrackGenerator<"u"&&typeof MediaStreamTrackProcessor<"u",r=typeof HTMLCanvasElement<"u"&&typeof VideoFrame<"u"&&"captureStream"in HTMLCanvasElement.prototype;return t||r}static get hasModernApiSupport(){return typeof MediaStreamTrackGenerator<"u"&&typeof MediaStreamTrackProcessor<"u"}async setup(t){this.source=t.track;let{width:r,height:e}=await N(this.source);if(this.sourceDummy=t.element,!(this.sourceDummy instanceof HTMLVideoElement))throw TypeError("Currently only video transformers are supported");if(this.sourceDummy instanceof HTMLVideoElement&&(this.sourceDummy.height=e??300,this.sourceDummy.width=r??300),this.useStreamFallback=!A.hasModernApiSupport,this.useStreamFallback){let i=document.querySelector('canvas[data-livekit-processor="'+this.name+'"]');i?(this.displayCanvas=i,this.displayCanvas.width=r??300,this.displayCanvas.height=e??300):(this.displayCanvas=document.createElement("canvas"),this.displayCanvas.width=r??300,this.displayCanvas.height=e??300,this.displayCanvas.style.display="none",this.displayCanvas.dataset.livekitProcessor=this.name,document.body.appendChild(this.displayCanvas)),this.renderContext=this.displayCanvas.getContext("2d"),this.capturedStream=this.displayCanvas.captureStream(),this.canvas=S(r??300,e??300)}else this.processor=new MediaStreamTrackProcessor({track:this.source}),this.trackGenerator=new MediaStreamTrackGenerator({kind:"video",signalTarget:this.source}),this.canvas=S(r??300,e??300)}async init(t){if(this.log.debug("Init called"),this.lifecycleState="initializing",await this.setup(t),!this.canvas)throw new TypeError("Expected canvas to be defined after setup");await this.transformer.init({outputCanvas:this.canvas,inputElement:this.sourceDummy}),this.useStreamFallback?this.initFallbackPath():this.initStreamProcessorPath(),this.lifecycleState="running"}initStreamProcessorPath(){if(!this.processor||!this.trackGenerator)throw new TypeError("Expected processor and trackGenerator to be defined for stream processor path");this.processor.readable.pipeThrough(this.transformer.transformer).pipeTo(this.trackGenerator.writable).then(()=>this.handleMediaExhausted()).catch(e=>{e instanceof DOMException&&e.name==="AbortError"?this.log.log("stream processor path aborted"):e instanceof DOMException&&e.name==="InvalidStateError"&&e.message==="Stream closed"?(this.log.log("stream processor underlying stream closed"),this.handleMediaExhausted()):(this.log.error("error when trying to pipe",e),this.destroy())}),this.processedTrack=this.trackGenerator}initFallbackPath(){if(!this.capturedStream||!this.source||!this.canvas||!this.renderContext)throw new TypeError("Missing required components for fallback implementation");this.processedTrack=this.capturedStream.getVideoTracks()[0],this.processingEnabled=!0,this.frameCallback=t=>{if(!this.processingEnabled||!t){t.close();return}let r={enqueue:e=>{if(this.renderContext&&this.displayCanvas){let{videoWidth:i,videoHeight:s}=this.sourceDummy;i&&s&&(this.displayCanvas.width!==i||this.displayCanvas.height!==s)&&(this.displayCanvas.width=i,this.displayCanvas.height=s),this.renderContext.drawImage(e,0,0,this.displayCanvas.width,this.displayCanvas.height),e.close()}}};try{this.transformer.transform(t,r)}catch(e){this.log.error("Error in transform:",e),t.close()}},this.startRenderLoop()}startRenderLoop(){if(!this.sourceDummy||!(this.sourceDummy instanceof HTMLVideoElement)){this.handleMediaExhausted();return}let t=-1,r=performance.now(),e=this.sourceDummy,i=1e3/this.maxFps,s=this.maxFps,o=[],f=0,p=0,v=0,E=-1/0,P=()=>{if(!this.processingEnabled||!this.sourceDummy||!(this.sourceDummy instanceof HTMLVideoElement)){this.handleMediaExhausted();return}if(this.sourceDummy.paused){performance.now()-E>1e3&&(E=performance.now(),this.log.warn("Video is paused, trying to play"),this.sourceDummy.play().catch(n=>this.log.warn("Unable to play video",n)));return}let x=e.currentTime,u=performance.now(),w=x!==t;if(w){if(f>0){let n=u-f;o.push(n),o.length>10&&o.shift(),o.length>2&&(s=1e3/(o.reduce((M,D)=>M+D,0)/o.length),(typeof window<"u"&&window.location.hostname==="localhost"||window.location.hostname==="127.0.0.1")&&u-v>5e3&&(this.log.debug(`[${this.name}] Estimated video FPS: ${s.toFixed(1)}, Processing at: ${(p/5).toFixed(1)} FPS`),p=0,v=u))}f=u}if(w&&u>=r){t=x,r=Math.max(u,r+i),p++;try{if(e.readyState>=HTMLMediaElement.HAVE_CURRENT_DATA){let n=new VideoFrame(e);this.frameCallback?this.frameCallback(n):n.close()}}catch(n){this.log.error("Error in render loop:",n)}}};this.frameTicker=L(1e3/(this.maxFps*2),P)}async restart(t){this.log.debug("Restart called"),await this.destroy({willProcessorRestart:!0}),await this.init(t)}async restartTransformer(...t){await this.transformer.restart(t[0])}async updateTransformerOptions(...t){await this.transformer.update(t[0])}async handleMediaExhausted(){this.log.debug("Media was exhausted from source"),this.lifecycleState==="running"&&(this.lifecycleState="media-exhausted",await this.cleanup())}async cleanup(){var t,r,e,i,s;this.useStreamFallback?(this.processingEnabled=!1,(t=this.frameTicker)==null||t.stop(),this.frameTicker=void 0,this.displayCanvas&&this.displayCanvas.parentNode&&this.displayCanvas.parentNode.removeChild(this.displayCanvas),(r=this.capturedStream)==null||r.getTracks().forEach(o=>o.stop())):(await((i=(e=this.processor)==null?void 0:e.writableControl)==null?void 0:i.close()),(s=this.trackGenerator)==null||s.stop())}async destroy(t={willProcessorRestart:!1}){switch(this.log.debug(`Destroy called - lifecycleState=${this.lifecycleState}, transformerDestroyOptions=${JSON.stringify(t)}`),this.lifecycleState){case"running":case"media-exhausted":this.lifecycleState="destroying",await this.cleanup(),await this.transformer.destroy(t),this.lifecycleState="destroyed";break;default:break}}};var j=c("livekit-track-processor-web-gl");var b=a=>a;var K=b`#version 300 es
  precision mediump float;
  in vec2 texCoords;
  uniform sampler2D u_texture;
  uniform vec2 u_texelSize;
  uniform vec2 u_direction;
  uniform float u_radius;
  out vec4 fragColor;

  void main() {
    float sigma = u_radius;
    float twoSigmaSq = 2.0 * sigma * sigma;
    float totalWeight = 0.0;
    vec3 result = vec3(0.0);
    const int MAX_SAMPLES = 16;
    int radius = int(min(float(MAX_SAMPLES), ceil(u_radius)));

    for (int i = -MAX_SAMPLES; i <= MAX_SAMPLES; ++i) {
      float offset = float(i);
      if (abs(offset) > float(radius)) continue;
      float weight = exp(-(offset * offset) / twoSigmaSq);
      vec2 sampleCoord = texCoords + u_direction * u_texelSize * offset;
      result += texture(u_texture, sampleCoord).rgb * weight;
      totalWeight += weight;
    }

    fragColor = vec4(result / totalWeight, 1.0);
  }
`;var J=b`#version 300 es
precision mediump float;

in vec2 texCoords;

uniform sampler2D u_texture;
uniform vec2 u_texelSize;    // 1.0 / texture size
uniform vec2 u_direction;    // (1.0, 0.0) for horizontal, (0.0, 1.0) for vertical
uniform float u_radius;      // blur radius in texels

out vec4 fragColor;

void main() {
    vec3 sum = vec3(0.0);
    float count = 0.0;

    // Limit radius to avoid excessive loop cost
    const int MAX_RADIUS = 16;
    int radius = int(min(float(MAX_RADIUS), u_radius));

    for (int i = -MAX_RADIUS; i <= MAX_RADIUS; ++i) {
        if (abs(i) > radius) continue;

        vec2 offset = u_direction * u_texelSize * float(i);
        sum += texture(u_texture, texCoords + offset).rgb;
        count += 1.0;
  }

  fragColor = vec4(sum / count, 1.0);
}
`;var Q=b`#version 300 es
  precision mediump float;
  in vec2 texCoords;
  uniform sampler2D background;
  uniform bool disableBackground;
  uniform sampler2D frame;
  uniform sampler2D mask;
  out vec4 fragColor;
  
  void main() {
    vec4 frameTex = texture(frame, texCoords);

    if (disableBackground) {
      fragColor = frameTex;
    } else {
      vec4 bgTex = texture(background, texCoords);

      float maskVal = texture(mask, texCoords).r;

      // Compute screen-space gradient to detect edge sharpness
      float grad = length(vec2(dFdx(maskVal), dFdy(maskVal)));

      float edgeSoftness = 2.0; // higher = softer

      // Create a smooth edge around binary transition
      float smoothAlpha = smoothstep(0.5 - grad * edgeSoftness, 0.5 + grad * edgeSoftness, maskVal);

      // Optional: preserve frame alpha, or override as fully opaque
      vec4 blended = mix(bgTex, vec4(frameTex.rgb, 1.0), 1.0 - smoothAlpha);
      fragColor = blended;
    }
  
  }
`;var Z=c("livekit-track-processor-web-gl");var G="selfie_segmentation.js",h=256,l=144,O=16;function re(){if(!g.isSupported||typeof VideoFrame>"u")return"video";if(typeof WebAssembly!="object")return"wasm";if(!(document.createElement("canvas").getContext("webgl2")||document.createElement("canvas").getContext("webgl")))return"webgl";let t=document.createElement("canvas").getContext("2d");return!t||!("filter"in t)?"blur":""}var m=null;function V(a){return m??(m=new Promise((t,r)=>{if(globalThis.SelfieSegmentation)return t(globalThis.SelfieSegmentation);let e=document.createElement("script");e.src=`${a}/${G}`,e.crossOrigin="anonymous",e.onload=()=>globalThis.SelfieSegmentation?t(globalThis.SelfieSegmentation):r(new Error("the segmentation script did not load")),e.onerror=()=>{m=null,r(new Error("the segmentation script did not load"))},document.head.append(e)})),m}var T=class{constructor(t,r,e){this.assets=t,this.options={...r},this.onFrame=e,this.segmenter=null,this.mask=null,this.background=null,this.backgroundURL=""}async init({outputCanvas:t}){if(this.closed=!1,this.canvas=t,this.ctx=t.getContext("2d"),this.small=document.createElement("canvas"),this.small.width=h,this.small.height=l,this.smallCtx=this.small.getContext("2d"),this.blurred=document.createElement("canvas"),this.blurred.width=h,this.blurred.height=l,this.blurCtx=this.blurred.getContext("2d"),this.count=0,this.transformer=new TransformStream({transform:(r,e)=>this.transform(r,e)}),!this.segmenter){let r=await V(this.assets),e=new r({locateFile:i=>`${this.assets}/${i}`});e.setOptions({modelSelection:1,useCpuInference:!0}),e.onResults(i=>{this.mask=i.segmentationMask}),await e.initialize(),this.segmenter=e}await this.update(this.options)}async restart(t){this.canvas=t.outputCanvas,this.ctx=this.canvas.getContext("2d")}async destroy(t){this.closed=!0,!t?.willProcessorRestart&&(await this.segmenter?.close().catch(()=>{}),this.segmenter=null,this.background?.close?.(),this.background=null)}async update(t){this.options={...this.options,...t};let r=this.options.mode==="virtual-background"?this.options.imagePath:"";if(r&&r!==this.backgroundURL){let e=new Image;e.src=r,await e.decode(),this.background?.close?.(),this.background=await createImageBitmap(e),this.backgroundURL=r}}async transform(t,r){let e=t.displayWidth,i=t.displayHeight;if(!e||!i||this.closed||!this.segmenter){r.enqueue(t);return}let s=performance.now();try{this.smallCtx.drawImage(t,0,0,h,l),(!this.mask||this.count++%2===0)&&await this.segmenter.send({image:this.small}),(this.canvas.width!==e||this.canvas.height!==i)&&(this.canvas.width=e,this.canvas.height=i),this.paint(t,e,i),r.enqueue(new VideoFrame(this.canvas,{timestamp:t.timestamp})),this.onFrame?.(performance.now()-s)}catch(o){console.warn("background: a frame could not be processed",o),r.enqueue(t.clone())}finally{t.close()}}paint(t,r,e){let i=this.ctx;if(i.save(),i.globalCompositeOperation="copy",i.filter="none",this.mask&&i.drawImage(this.mask,0,0,r,e),i.globalCompositeOperation="source-in",i.drawImage(t,0,0,r,e),i.globalCompositeOperation="destination-over",this.options.mode==="virtual-background"&&this.background){let s=this.background,o=Math.max(r/s.width,e/s.height);i.drawImage(s,(r-s.width*o)/2,(e-s.height*o)/2,s.width*o,s.height*o)}else{let s=Math.max(2,Math.round(O*l/720));this.blurCtx.filter=`blur(${s}px)`,this.blurCtx.drawImage(this.small,-s,-s,h+2*s,l+2*s),i.drawImage(this.blurred,0,0,r,e)}i.restore()}};function ie(a,t,r){return new g(new T(a,t,r),"meetd-background")}function ae(a,t){return a.transformer.update(t)}export{ie as create,ae as switchTo,re as unsupported};
