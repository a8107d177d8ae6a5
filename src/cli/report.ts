// Tutorial-style text of a learning or completion result. Pure: the CLI prints it, tests read it.

import type { WrongNote } from '../learning/compare.ts';
import { formatLoss, formatDurationShort } from './progress.ts';

export interface Painter {
  wrong(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export const PLAIN: Painter = { wrong: (t) => `[${t}]`, dim: (t) => t, bold: (t) => t };
export const ANSI: Painter = {
  wrong: (t) => `\x1b[1;31m[${t}]\x1b[0m`,
  dim: (t) => `\x1b[2m${t}\x1b[0m`,
  bold: (t) => `\x1b[1m${t}\x1b[0m`,
};

/**
 * The notes with every wrong prediction marked: `[d8≠e8]` means the model sang d8 where the
 * original has e8. The first `window` notes are the given start and shown dimmed.
 */
export function markNotes(
  tokens: readonly string[],
  wrong: readonly WrongNote[],
  window: number,
  paint: Painter = PLAIN,
  /** Melody position of tokens[0]: wrong[].index counts from the melody's start. */
  offset = 0,
): string {
  const byIndex = new Map(wrong.map((w) => [w.index - offset, w]));
  return tokens
    .map((token, i) => {
      const w = byIndex.get(i);
      if (w) return paint.wrong(`${token}≠${w.expected}`);
      return i < window ? paint.dim(token) : token;
    })
    .join(' ');
}

export function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

export interface LearnReportInput {
  readonly title: string;
  readonly model: string;
  readonly backend: string;
  readonly window: number;
  readonly epochs: number;
  readonly learnedAtEpoch: number | null;
  readonly stopReason: string;
  readonly finalLoss: number | null;
  readonly trainAccuracy: number;
  readonly seconds: number;
  readonly parameters: number;
  readonly oneStep: { readonly accuracy: number; readonly tokens: readonly string[]; readonly wrong: readonly WrongNote[] };
  readonly fullSong: { readonly accuracy: number; readonly exact: boolean; readonly tokens: readonly string[]; readonly wrong: readonly WrongNote[] };
  readonly savedTo: string | null;
}

export function learnReport(r: LearnReportInput, paint: Painter = PLAIN): string {
  const learned =
    r.learnedAtEpoch === null ? 'not sung back exactly yet' : `sung back exactly from epoch ${r.learnedAtEpoch}`;
  const stopped = r.stopReason === 'cancelled' ? ' (cancelled)' : r.stopReason === 'learned' ? ' (stopped once learned)' : '';
  const lines = [
    paint.bold(`${r.title} · ${r.model} · ${r.parameters.toLocaleString('en-US')} parameters · backend ${r.backend}`),
    `epochs ${r.epochs}${stopped} · ${learned}`,
    `final loss ${r.finalLoss === null ? '–' : formatLoss(r.finalLoss)} · train accuracy ${percent(r.trainAccuracy)} · ${formatDurationShort(r.seconds * 1000)}`,
    '',
    `one step prediction  ${percent(r.oneStep.accuracy)} (${r.oneStep.wrong.length} wrong)`,
    `  ${markNotes(r.oneStep.tokens, r.oneStep.wrong, r.window, paint)}`,
    `full song prediction ${percent(r.fullSong.accuracy)} (${r.fullSong.wrong.length} wrong)${r.fullSong.exact ? ' · the whole song, exactly' : ''}`,
    `  ${markNotes(r.fullSong.tokens, r.fullSong.wrong, r.window, paint)}`,
  ];
  if (r.oneStep.wrong.length + r.fullSong.wrong.length > 0) lines.push(paint.dim('  [x≠y]: sang x where the song has y'));
  if (r.savedTo) lines.push('', `saved to ${r.savedTo}`);
  return lines.join('\n');
}

export interface CompleteReportInput {
  readonly model: string;
  readonly window: number;
  readonly start: number | null;
  readonly temperature: number;
  readonly tokens: readonly string[];
  readonly fullSong: { readonly accuracy: number; readonly exact: boolean; readonly wrong: readonly WrongNote[] } | null;
  readonly oneStep: { readonly accuracy: number };
}

export function completeReport(r: CompleteReportInput, paint: Painter = PLAIN): string {
  const from = r.start === null ? 'your start notes' : r.start === 0 ? 'its first notes' : `note ${r.start}`;
  const lines = [paint.bold(`${r.model} · from ${from} · temperature ${r.temperature}`)];
  lines.push(`  ${markNotes(r.tokens, r.fullSong?.wrong ?? [], r.window, paint, r.start ?? 0)}`);
  if (r.fullSong) {
    lines.push(
      `full song ${percent(r.fullSong.accuracy)} (${r.fullSong.wrong.length} wrong)${r.fullSong.exact ? ' · exactly the original' : ''} · one step ${percent(r.oneStep.accuracy)}`,
    );
  }
  return lines.join('\n');
}
