// Small helpers for building SVG by hand, and the one place SVG becomes PNG (resvg, bundled font only).

import { Resvg } from '@resvg/resvg-js';
import { FONT_FAMILY, FONT_FAMILY_LIST, fontFiles } from './font.ts';

/** A rendered picture: the PNG to post and the SVG it was drawn from (tests read the SVG). */
export interface Picture {
  readonly png: Uint8Array;
  readonly svg: string;
  /** PNG size in pixels. */
  readonly width: number;
  readonly height: number;
}

/** Escapes text for SVG content and attribute values (member-typed titles go through here). */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate with at most two decimals and no trailing zeros. */
export function n(value: number): string {
  const r = Math.round(value * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export function text(
  x: number,
  y: number,
  content: string,
  options: { size: number; fill?: string; anchor?: 'start' | 'middle' | 'end'; attrs?: string; weight?: number } = { size: 14 },
): string {
  const anchor = options.anchor && options.anchor !== 'start' ? ` text-anchor="${options.anchor}"` : '';
  const fill = options.fill ? ` fill="${options.fill}"` : '';
  const attrs = options.attrs ? ` ${options.attrs}` : '';
  return `<text x="${n(x)}" y="${n(y)}" font-size="${n(options.size)}"${anchor}${fill}${attrs}>${esc(content)}</text>`;
}

/** Opens an SVG document of the given size with a white background and the picture font. */
export function svgOpen(width: number, height: number, attrs = ''): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}"` +
    ` font-family="${FONT_FAMILY_LIST}"${attrs ? ` ${attrs}` : ''}>` +
    `<rect width="100%" height="100%" fill="#ffffff"/>`
  );
}

/**
 * Renders SVG to PNG `width` px wide with resvg, loading fonts only from assets/fonts/ (resvg-js's
 * native binding takes font paths, not buffers, so it reads the two files per render: ~1 ms, cached).
 */
export function renderPng(svg: string, width: number): Picture {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: Math.round(width) },
    background: '#ffffff',
    font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    shapeRendering: 2,
    textRendering: 1,
    logLevel: 'off',
  });
  const image = resvg.render();
  const png = image.asPng();
  return { png, svg, width: image.width, height: image.height };
}
