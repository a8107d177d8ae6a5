// `npm run bench:audio` — how long sound takes: the 54-note 나비야 at 120 bpm (16.25 s of audio)
// rendered through Tone.js on node-web-audio-api, then encoded to each format. Medians of
// several runs after one warm-up; loading Tone (once per process) is reported apart. The target
// is render + OGG under 1 s.
//
//   npm run bench:audio -- --runs 7 --instrument organ
//   npm run bench:audio -- --out /tmp/audio      (also writes nabiya.{ogg,wav,mp3,mid} there)

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeMp3, encodeOgg, encodeWav } from '../src/audio/encode.ts';
import { midiFile } from '../src/audio/index.ts';
import { INSTRUMENTS, isInstrument, renderMelody } from '../src/audio/render.ts';
import type { Instrument, RenderedMelody } from '../src/audio/render.ts';
import { loadTone } from '../src/audio/web-audio.ts';
import { getSong } from '../src/music/songbook.ts';

const TARGET_MS = 1000;

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    instrument: { type: 'string' },
    tempo: { type: 'string' },
    out: { type: 'string' },
  },
});
const runs = Number(values.runs ?? 5);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs takes a whole number from 1 to 50');
const instrument = values.instrument ?? 'piano';
if (!isInstrument(instrument)) throw new Error(`--instrument: unknown "${instrument}" (allowed: ${INSTRUMENTS.join(', ')})`);
const tempo = Number(values.tempo ?? 120);
const melody = getSong('nabiya').melody;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

/** Warm-up run, then the median of `runs` timed runs. */
async function bench<T>(work: () => Promise<T> | T): Promise<{ result: T; ms: number; all: number[] }> {
  let [result] = await timed(work);
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [value, ms] = await timed(work);
    result = value;
    all.push(ms);
  }
  return { result, ms: median(all), all };
}

const ms = (value: number): string => `${value.toFixed(0).padStart(5)} ms`;

const [, toneMs] = await timed(() => loadTone());
const render = await bench(() => renderMelody(melody, { tempo, instrument: instrument as Instrument }));
const audio: RenderedMelody = render.result;
const ogg = await bench(() => encodeOgg(audio));
const wav = await bench(() => encodeWav(audio));
const mp3 = await bench(() => encodeMp3(audio));

const total = render.ms + ogg.ms;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`나비야: ${audio.notes.length} notes at ${tempo} bpm, ${instrument}, ${audio.durationSeconds.toFixed(2)} s of ${audio.sampleRate / 1000} kHz mono`);
console.log(`machine: ${os.cpus().length} × ${cpu}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; median of ${runs} runs after a warm-up\n`);
console.log(`load Tone.js (once per process) ${ms(toneMs)}`);
console.log(`render                          ${ms(render.ms)}   ${(audio.durationSeconds / (render.ms / 1000)).toFixed(0)}× real time`);
console.log(`encode OGG (Opus 64 kb/s)       ${ms(ogg.ms)}   ${(ogg.result.length / 1024).toFixed(0)} KiB`);
console.log(`encode WAV (16-bit)             ${ms(wav.ms)}   ${(wav.result.length / 1024).toFixed(0)} KiB`);
console.log(`encode MP3 (128 kb/s CBR)       ${ms(mp3.ms)}   ${(mp3.result.length / 1024).toFixed(0)} KiB`);
console.log(`\nrender + OGG                    ${ms(total)}   target < ${TARGET_MS} ms: ${(total / TARGET_MS).toFixed(2)} of the target — ${total < TARGET_MS ? 'met' : 'MISSED'}`);

if (values.out) {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(path.join(values.out, 'nabiya.ogg'), ogg.result);
  writeFileSync(path.join(values.out, 'nabiya.wav'), wav.result);
  writeFileSync(path.join(values.out, 'nabiya.mp3'), mp3.result);
  writeFileSync(path.join(values.out, 'nabiya.mid'), midiFile(melody, { tempo }).bytes);
  console.log(`\nwrote nabiya.{ogg,wav,mp3,mid} to ${values.out}`);
}
