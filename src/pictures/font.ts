// The font every picture uses, shipped in the repository (assets/fonts/) so text renders the same
// on a machine without system fonts: Noto Sans KR Regular (SIL OFL 1.1) in two subsets. A small
// Latin one (Latin-1, punctuation, arrows, music signs; 32 KB) sets nearly all text, because resvg
// parses the font of every text run it shapes and the full Korean font costs ~2 ms a run; the
// Korean one (the same plus every Hangul syllable and jamo) is the fallback for the rest.
// Text widths come from the advance widths below, so layouts can size boxes and shorten titles
// without a renderer.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Family name of the Latin subset: resvg's default font. */
export const FONT_FAMILY = 'Noto Sans KR Latin';
/** The SVG font-family list: Latin subset first, the Korean font for what it lacks. */
export const FONT_FAMILY_LIST = "'Noto Sans KR Latin', 'Noto Sans KR'";

export const FONT_FILES: readonly string[] = [
  fileURLToPath(new URL('../../assets/fonts/NotoSansKRLatin-Regular.ttf', import.meta.url)),
  fileURLToPath(new URL('../../assets/fonts/NotoSansKR-Regular.subset.ttf', import.meta.url)),
];

let checked = false;

/** The font files' paths, checked once per process. */
export function fontFiles(): string[] {
  if (!checked) {
    for (const file of FONT_FILES) if (!existsSync(file)) throw new Error(`picture font missing: ${file} (it ships in assets/fonts/)`);
    checked = true;
  }
  return [...FONT_FILES];
}

/** Advance widths (units per em = 1000) of U+0020…U+007E in Noto Sans KR Regular. */
const ASCII_ADVANCE = [
  224, 323, 474, 555, 555, 921, 680, 278, 338, 338, 467, 555, 278, 347, 278, 392, 555, 555, 555, 555, 555, 555, 555,
  555, 555, 555, 278, 278, 555, 555, 555, 474, 946, 608, 657, 638, 688, 589, 552, 689, 728, 293, 535, 646, 543, 812,
  723, 742, 633, 742, 635, 596, 599, 721, 575, 878, 573, 531, 603, 338, 392, 338, 555, 559, 606, 563, 618, 510, 620,
  554, 325, 564, 607, 275, 275, 552, 284, 926, 610, 606, 620, 620, 388, 468, 377, 607, 521, 802, 498, 521, 475, 338,
  270, 338, 555,
] as const;

function advance(codePoint: number): number {
  if (codePoint >= 0x20 && codePoint <= 0x7e) return ASCII_ADVANCE[codePoint - 0x20] ?? 600;
  if (codePoint >= 0x1100 && codePoint <= 0x11ff) return 920; // Hangul jamo
  if (codePoint >= 0x3130 && codePoint <= 0x318f) return 920; // compatibility jamo
  if (codePoint >= 0xac00 && codePoint <= 0xd7a3) return 920; // syllables
  if (codePoint === 0x2013) return 536;
  if (codePoint === 0x2014) return 894;
  if (codePoint === 0x2212) return 555;
  if (codePoint === 0xb7) return 561;
  if (codePoint < 0x250) return 600; // Latin-1 and Latin Extended letters
  return 1000; // symbols, CJK punctuation, full-width forms
}

/** Width of `text` set in the picture font at `size` px (no kerning: a slight overestimate). */
export function textWidth(text: string, size: number): number {
  let units = 0;
  for (const ch of text) units += advance(ch.codePointAt(0) ?? 0x20);
  return (units / 1000) * size;
}

/** `text` shortened with an ellipsis so that it fits in `width` px at `size` px. */
export function fitText(text: string, size: number, width: number): string {
  if (textWidth(text, size) <= width) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidth(`${chars.join('')}…`, size) > width) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}
