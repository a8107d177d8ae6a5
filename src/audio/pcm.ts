// Raw audio as the renderer produces it and the encoders and the pitch tracker consume it:
// floating-point samples in [-1, 1], one array per channel, all the same length.

export interface PcmAudio {
  readonly sampleRate: number;
  readonly channels: readonly Float32Array[];
}

export function frameCount(pcm: PcmAudio): number {
  return pcm.channels[0]?.length ?? 0;
}

export function durationOf(pcm: PcmAudio): number {
  return frameCount(pcm) / pcm.sampleRate;
}

/** Throws on a shape no encoder can take: no channels, channels of different lengths, a bad rate. */
export function checkPcm(pcm: PcmAudio, maxChannels: number): void {
  if (pcm.channels.length < 1 || pcm.channels.length > maxChannels) {
    throw new RangeError(`expected 1 to ${maxChannels} channels, got ${pcm.channels.length}`);
  }
  const length = frameCount(pcm);
  if (pcm.channels.some((channel) => channel.length !== length)) throw new RangeError('channels differ in length');
  if (!Number.isInteger(pcm.sampleRate) || pcm.sampleRate < 1000 || pcm.sampleRate > 384_000) {
    throw new RangeError(`unsupported sample rate ${pcm.sampleRate}`);
  }
}

/** The sample as 16-bit PCM: rounded, clamped. */
export function toInt16(sample: number): number {
  const scaled = Math.round(sample * 32767);
  return scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
}

/** Mono mix (the average of the channels); the array itself when there is only one. */
export function mixToMono(pcm: PcmAudio): Float32Array {
  const [first] = pcm.channels;
  if (!first) return new Float32Array(0);
  if (pcm.channels.length === 1) return first;
  const mono = new Float32Array(first.length);
  for (const channel of pcm.channels) {
    for (let i = 0; i < mono.length; i++) mono[i] = (mono[i] ?? 0) + (channel[i] ?? 0) / pcm.channels.length;
  }
  return mono;
}

/**
 * Linear-interpolation resampling. Good enough to bring 44.1 kHz up to 48 kHz for Opus (its
 * encoder low-passes at 20 kHz anyway); not meant for large downsampling ratios.
 */
export function resampleLinear(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return samples;
  const length = Math.round((samples.length * toRate) / fromRate);
  const out = new Float32Array(length);
  const step = fromRate / toRate;
  const last = samples.length - 1;
  for (let i = 0; i < length; i++) {
    const position = i * step;
    const index = Math.floor(position);
    const fraction = position - index;
    const a = samples[Math.min(index, last)] ?? 0;
    const b = samples[Math.min(index + 1, last)] ?? 0;
    out[i] = a + (b - a) * fraction;
  }
  return out;
}
