import type * as ToneNamespace from 'tone';

// The one place that makes Tone.js run in Node: Tone renders offline on node-web-audio-api's
// OfflineAudioContext (a Rust implementation of Web Audio, shipped as prebuilt binaries inside the
// npm package).
//
// Two facts about Tone 15 shape this module:
// - Tone wraps every native context through standardized-audio-context, which looks for the native
//   Web Audio classes on `window` once, when it is first evaluated. So node-web-audio-api's classes
//   are put on a temporary `window` object only while Tone is imported, and the global is put back
//   as it was straight after: nothing else in the process sees a browser-like `window` later.
//   `self` is left undefined, so Tone keeps its inert DummyContext as the global context and never
//   opens a realtime AudioContext (which on a server without a sound card fails with cpal's
//   "DeviceUnavailable").
// - A few Tone internals (buffers, for instance) use the global context rather than the node's own,
//   so `renderOffline` makes its OfflineContext global while the caller builds the graph, in
//   synchronous steps: concurrent renders never see each other's context.
//
// What does not work here: Tone's AudioWorklet-based nodes (PluckSynth, FeedbackCombFilter,
// BitCrusher…), because standardized-audio-context only exposes AudioWorkletNode in a browser's
// secure context. The instruments in render.ts use oscillators, filters and envelopes only.
//
// Types: node-web-audio-api's declarations pull the whole DOM lib into the program, so it is
// imported through a non-literal specifier and described by the two members used below.

export type Tone = typeof ToneNamespace;
export type ToneOfflineContext = ToneNamespace.OfflineContext;

interface NativeAudioBuffer {
  readonly numberOfChannels: number;
  readonly length: number;
  copyFromChannel(destination: Float32Array, channel: number, startInChannel?: number): void;
}

interface NativeOfflineAudioContextConstructor {
  new (channels: number, length: number, sampleRate: number): object;
}

interface NodeWebAudio {
  readonly OfflineAudioContext: NativeOfflineAudioContextConstructor;
  readonly [name: string]: unknown;
}

interface Loaded {
  readonly tone: Tone;
  readonly webAudio: NodeWebAudio;
}

const NODE_WEB_AUDIO_API: string = 'node-web-audio-api';

let loading: Promise<Loaded> | undefined;

/** Tone.js, loaded once on first use (about half a second). Safe to call concurrently. */
export async function loadTone(): Promise<Tone> {
  return (await load()).tone;
}

function load(): Promise<Loaded> {
  loading ??= importTone().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function importTone(): Promise<Loaded> {
  const webAudio = (await import(NODE_WEB_AUDIO_API)) as NodeWebAudio;
  const shim: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(webAudio)) {
    if (name !== 'default' && name !== 'mediaDevices') shim[name] = value;
  }
  const global = globalThis as Record<string, unknown>;
  const previous = Object.getOwnPropertyDescriptor(global, 'window');
  global.window = shim;
  try {
    const tone = await import('tone');
    return { tone, webAudio };
  } finally {
    if (previous) Object.defineProperty(global, 'window', previous);
    else delete global.window;
  }
}

export interface OfflineRenderRequest {
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationSeconds: number;
}

/**
 * Renders a Tone graph offline. `build` receives Tone and a fresh OfflineContext; it must create its
 * nodes with `{ context }`, connect them to `context.destination` and schedule everything. It may
 * be a generator: at each `yield` the event loop gets a turn (long melodies schedule thousands of
 * events), and Tone's global context is set again when building resumes. Resolves to one
 * Float32Array per channel, `round(durationSeconds * sampleRate)` long.
 */
export async function renderOffline(
  request: OfflineRenderRequest,
  build: (tone: Tone, context: ToneOfflineContext) => Iterator<unknown> | void,
): Promise<Float32Array[]> {
  const { tone, webAudio } = await load();
  const length = Math.max(1, Math.round(request.durationSeconds * request.sampleRate));
  const native = new webAudio.OfflineAudioContext(request.channels, length, request.sampleRate);
  const context = new tone.OfflineContext(native as unknown as ConstructorParameters<typeof tone.OfflineContext>[0]);
  try {
    const steps = withGlobalContext(tone, context, () => build(tone, context));
    while (steps && !withGlobalContext(tone, context, () => steps.next()).done) await nextTurn();
    // Tone's clock runs on the JavaScript thread (one tick per 128 samples): the asynchronous form
    // yields once per second of audio. The audio itself is rendered by node-web-audio-api on its
    // own thread.
    const rendered = await context.render(request.durationSeconds > ASYNC_CLOCK_SECONDS);
    const buffer = rendered.get() as unknown as NativeAudioBuffer;
    const channels: Float32Array[] = [];
    for (let channel = 0; channel < buffer.numberOfChannels; channel++) {
      const samples = new Float32Array(buffer.length);
      // node-web-audio-api documents copyFromChannel as the reliable way to read samples.
      buffer.copyFromChannel(samples, channel);
      channels.push(samples);
    }
    return channels;
  } finally {
    context.dispose();
  }
}

/** Audio longer than this advances Tone's clock asynchronously (a few ms slower, never blocking). */
const ASYNC_CLOCK_SECONDS = 30;

function withGlobalContext<T>(tone: Tone, context: ToneOfflineContext, work: () => T): T {
  const previous = tone.getContext();
  tone.setContext(context);
  try {
    return work();
  } finally {
    tone.setContext(previous);
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
