// Reading the pictures back: PNG header and pixels (pngjs), and the data attributes of the SVG.

import { PNG } from 'pngjs';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the IHDR chunk, read by hand (and checked to be a PNG). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  if (!SIGNATURE.every((b, i) => png[i] === b)) throw new Error('not a PNG signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const type = String.fromCharCode(png[12] ?? 0, png[13] ?? 0, png[14] ?? 0, png[15] ?? 0);
  if (type !== 'IHDR') throw new Error(`first chunk is ${type}, not IHDR`);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export interface PixelCounts {
  readonly width: number;
  readonly height: number;
  /** Pixels that are not (near) white. */
  readonly ink: number;
  /** Clearly red pixels (the wrong-note colour). */
  readonly red: number;
}

/** Counts over the whole picture, or over rows [fromRow, toRow). */
export function countPixels(png: Uint8Array, rows?: { fromRow: number; toRow: number }): PixelCounts {
  const image = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  let ink = 0;
  let red = 0;
  const data = image.data;
  const from = (rows?.fromRow ?? 0) * image.width * 4;
  const to = Math.min(data.length, (rows?.toRow ?? image.height) * image.width * 4);
  for (let i = from; i < to; i += 4) {
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? 0;
    const b = data[i + 2] ?? 0;
    if (r < 235 || g < 235 || b < 235) ink++;
    if (r > 170 && g < 110 && b < 110) red++;
  }
  return { width: image.width, height: image.height, ink, red };
}

/** Every match of `pattern` (global) as its capture groups. */
export function all(svg: string, pattern: RegExp): string[][] {
  return [...svg.matchAll(pattern)].map((m) => m.slice(1).map((g) => g ?? ''));
}

/** Attributes of an SVG start tag as a map. */
export function attributes(tag: string): Map<string, string> {
  return new Map([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** Start tags (the whole `<name …>` text) whose attributes contain `needle`. */
export function tags(svg: string, needle: string): string[] {
  return [...svg.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0]).filter((t) => t.includes(needle));
}
