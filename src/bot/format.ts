import { escapeMarkdown } from 'discord.js';
import { markNotes, percent, type Painter } from '../cli/report.ts';
import { formatDurationShort, formatLoss, progressBar } from '../cli/progress.ts';
import type { Melody, MelodyEvent, Pitch } from '../music/melody.ts';
import { midiNumber } from '../music/melody.ts';
import type { JobRecord } from '../storage/index.ts';
import type { ModelSummary, TrainParams, TrainProgress, TrainResultData } from '../training/types.ts';
import { clip, MESSAGE_LIMIT } from './text.ts';

// Reply text for the bot: pure functions from data to Discord Markdown, each bounded to fit one
// message. Member-typed text (melody names) is escaped and clipped here; pings are prevented
// separately (allowed_mentions on every send). Mentions like <@id> are shown as names, never pings.

/**
 * Wrong notes as a teacher marks them: what the model sang struck through, then the original in
 * bold — `~~d8~~→**e8**`. The given start notes are in italics.
 */
export const MARKDOWN_PAINTER: Painter = {
  wrong: (text) => {
    const [got = text, expected = ''] = text.split('≠');
    return `~~${got}~~→**${expected}**`;
  },
  dim: (text) => `*${text}*`,
  bold: (text) => `**${text}**`,
};

export const WRONG_NOTE_LEGEND = '~~sung~~→**original**';

/** A melody name for a message: Markdown escaped and bounded. */
export function melodyName(name: string, max = 60): string {
  return `**${escapeMarkdown(clip(name.replace(/[\r\n]+/g, ' '), max))}**`;
}

const PITCH_NAMES: Readonly<Record<number, string>> = { [-2]: '𝄫', [-1]: '♭', 0: '', 1: '♯', 2: '𝄪' };

export function pitchName(pitch: Pitch): string {
  return `${pitch.step.toUpperCase()}${PITCH_NAMES[pitch.alter] ?? ''}${pitch.octave}`;
}

/** Lowest and highest note, e.g. "C4–G4"; "rests only" when there is no note. */
export function pitchRange(events: readonly MelodyEvent[]): string {
  let low: Pitch | null = null;
  let high: Pitch | null = null;
  for (const event of events) {
    if (event.kind !== 'note') continue;
    if (low === null || midiNumber(event.pitch) < midiNumber(low)) low = event.pitch;
    if (high === null || midiNumber(event.pitch) > midiNumber(high)) high = event.pitch;
  }
  if (low === null || high === null) return 'rests only';
  return midiNumber(low) === midiNumber(high) ? pitchName(low) : `${pitchName(low)}–${pitchName(high)}`;
}

export function countNotes(events: readonly MelodyEvent[]): string {
  const notes = events.filter((e) => e.kind === 'note').length;
  const rests = events.length - notes;
  return `${notes} note${notes === 1 ? '' : 's'}${rests > 0 ? ` and ${rests} rest${rests === 1 ? '' : 's'}` : ''}`;
}

/**
 * Space-separated items cut at an item boundary so the line fits `max` characters, ending with
 * "… (+N more)" when cut.
 */
export function fitItems(items: readonly string[], max: number, separator = ' '): string {
  const all = items.join(separator);
  if (all.length <= max) return all;
  const out: string[] = [];
  let length = 0;
  for (const [i, item] of items.entries()) {
    const more = ` … (+${items.length - i} more)`;
    const add = (out.length > 0 ? separator.length : 0) + item.length;
    if (length + add + more.length > max) return `${out.join(separator)}${more}`;
    out.push(item);
    length += add;
  }
  return out.join(separator);
}

/** The notes in token syntax inside a code span, bounded. */
export function tokenBlock(tokens: readonly string[], max = 1200): string {
  return `\`${fitItems(tokens, max - 2)}\``;
}

/** The reply of /melody add and /melody show. */
export function melodyCard(input: {
  readonly heading: string;
  readonly name: string;
  readonly melody: Melody;
  readonly tokens: readonly string[];
  readonly extra?: readonly string[];
}): string {
  const { melody } = input;
  const lines = [
    `${input.heading} ${melodyName(input.name)} · ${countNotes(melody.events)} · range ${pitchRange(melody.events)}`,
    tokenBlock(input.tokens, 1400),
    ...(input.extra ?? []),
  ];
  return clip(lines.join('\n'), MESSAGE_LIMIT);
}

// ------------------------------------------------------------------------------------------------
// Training jobs

export interface ProgressView {
  readonly job: JobRecord;
  readonly params: TrainParams | null;
  readonly progress: TrainProgress | null;
  /** 1-based place among waiting jobs, when waiting. */
  readonly position: number | null;
  readonly result: TrainResultData | null;
}

export function describeParams(params: TrainParams | null): string {
  if (params === null) return '';
  const model = params.model === 'all' ? 'all four models' : params.model;
  const until = params.untilLearned ? ', stops once learned' : '';
  return `${model} · up to ${params.epochs} epochs${until} · window ${params.window} · seed ${params.seed}`;
}

export function jobHeading(job: JobRecord, params: TrainParams | null): string {
  return `🦋 **Job #${job.id}** · ${melodyName(job.melodyName)} · ${describeParams(params)} · by <@${job.memberId}>`;
}

export function etaOf(progress: TrainProgress): number {
  const done = progress.epoch - progress.startEpoch;
  if (done <= 0) return Number.NaN;
  return (progress.elapsedMs / done) * (progress.epochs - progress.epoch);
}

/** One line: bar, epoch, loss, accuracy, ETA. */
export function progressLine(progress: TrainProgress, untilLearned: boolean): string {
  const fraction = progress.epochs > 0 ? progress.epoch / progress.epochs : 0;
  const eta = formatDurationShort(etaOf(progress));
  return (
    `\`${progressBar(fraction, 20)}\` ${Math.floor(fraction * 100)}% · epoch ${progress.epoch}/${progress.epochs}` +
    ` · loss ${formatLoss(progress.loss)} · accuracy ${(progress.accuracy * 100).toFixed(1)}% · ETA ${untilLearned ? '≤ ' : ''}${eta}`
  );
}

function finishedLine(summary: ModelSummary): string {
  const learned = summary.learnedAtEpoch === null ? 'not learned yet' : `learned at epoch ${summary.learnedAtEpoch}`;
  const loss = summary.finalLoss === null ? '–' : formatLoss(summary.finalLoss);
  return `✅ ${summary.model} — ${summary.epochs} epochs · ${learned} · loss ${loss} · accuracy ${percent(summary.trainAccuracy)}`;
}

/** The one progress message of a job, in every state. */
export function progressMessage(view: ProgressView): string {
  const { job, params, progress } = view;
  const lines = [jobHeading(job, params)];
  const models = params?.models ?? [];
  const multi = models.length > 1;

  const modelLines = (): string[] => {
    if (!multi) return [];
    const finished = view.result?.models ?? progress?.finished ?? [];
    return models.map((model, index) => {
      const done = finished.find((s) => s.model === model);
      if (done) return finishedLine(done);
      if (progress && progress.model === model && job.state === 'running') return `▶️ ${model} — ${progressLine(progress, params?.untilLearned ?? false)}`;
      if (progress && index < progress.modelIndex) return `✅ ${model}`;
      return `· ${model} — waiting`;
    });
  };

  switch (job.state) {
    case 'queued':
      if (job.recovered) {
        const at = progress ? ` (${progress.model}, last at epoch ${progress.epoch})` : '';
        lines.push(`⏸ Paused while the bot restarted${at}; it resumes from its last checkpoint${view.position ? ` · position ${view.position} in the queue` : ''}.`);
      } else {
        lines.push(view.position ? `⏳ Queued — position ${view.position} in the queue.` : '⏳ Queued.');
      }
      lines.push(...modelLines());
      break;
    case 'running':
      if (multi) lines.push(...modelLines());
      else if (progress) lines.push(progressLine(progress, params?.untilLearned ?? false));
      if (!progress) lines.push(job.attempts > 1 ? '⚙️ Resuming from the last checkpoint…' : '⚙️ Starting now (nothing ahead in the queue)…');
      break;
    case 'done': {
      const result = view.result;
      const wall = job.finishedAt !== null ? formatDurationShort(job.finishedAt - job.createdAt) : '?';
      if (multi) lines.push(...modelLines());
      else if (result?.models[0]) lines.push(finishedLine(result.models[0]));
      lines.push(`Done · ${wall} from request to result · summary below.`);
      break;
    }
    case 'failed':
      lines.push(...(multi ? modelLines() : []), `❌ Training failed: ${clip(job.error ?? 'unknown error', 500)}`);
      break;
    case 'cancelled': {
      const at = progress
        ? ` at epoch ${progress.epoch}/${progress.epochs}${multi ? ` of ${progress.model}` : ''}`
        : job.startedAt === null
          ? ' before it started'
          : ' before its first epoch ended';
      lines.push(...(multi ? modelLines() : []), `🚫 Cancelled${at}.`);
      break;
    }
  }
  return clip(lines.join('\n'), MESSAGE_LIMIT);
}

/** The completed song of one model with wrong notes marked, fitted into `max` characters. */
export function markedSong(summary: Pick<ModelSummary, 'window'> & { readonly tokens: readonly string[]; readonly wrong: ModelSummary['fullSong']['wrong'] }, max: number, offset = 0): string {
  const painted = markNotes(summary.tokens, summary.wrong, summary.window, MARKDOWN_PAINTER, offset).split(' ');
  return fitItems(painted, max);
}

/** The loss summary posted when a job is done. */
export function trainSummary(job: JobRecord, params: TrainParams | null, result: TrainResultData): string {
  const models = result.models;
  const wall = job.finishedAt !== null ? formatDurationShort(job.finishedAt - job.createdAt) : '?';
  const head = `🦋 ${melodyName(result.melody || job.melodyName)} · job #${job.id} by <@${job.memberId}> · ${wall} wall time`;
  if (models.length === 0) return clip(`${head}\nNo model finished.`, MESSAGE_LIMIT);

  if (models.length === 1) {
    const m = models[0] as ModelSummary;
    const stopped = m.stopReason === 'learned' ? ` (stopped once learned at epoch ${m.learnedAtEpoch})` : '';
    const learned = m.learnedAtEpoch === null ? 'not sung back exactly yet' : `learned at epoch ${m.learnedAtEpoch}`;
    const lines = [
      head,
      `**${m.model}** · ${m.epochs} epochs run${stopped} · ${learned}`,
      `final loss ${m.finalLoss === null ? '–' : formatLoss(m.finalLoss)} · train accuracy ${percent(m.trainAccuracy)} · training ${formatDurationShort(m.seconds * 1000)} on ${engineLabel(m)} · ${m.parameters.toLocaleString('en-US')} parameters`,
      `Sung from its first ${m.window} notes (*italics*) — full song ${percent(m.fullSong.accuracy)}${m.fullSong.exact ? ', exactly the original' : ''}, one step ${percent(m.oneStepAccuracy)}${m.fullSong.wrong.length > 0 ? ` · ${WRONG_NOTE_LEGEND}` : ''}:`,
    ];
    const used = lines.join('\n').length + 1;
    lines.push(markedSong({ window: m.window, tokens: m.fullSong.tokens, wrong: m.fullSong.wrong }, MESSAGE_LIMIT - used - 1));
    return clip(lines.join('\n'), MESSAGE_LIMIT);
  }

  // Side by side: a table, then each model's song.
  const rows = [
    ['model', 'epochs', 'learned', 'loss', 'accuracy', 'full song', 'time'],
    ...models.map((m) => [
      m.model,
      String(m.epochs),
      m.learnedAtEpoch === null ? '–' : String(m.learnedAtEpoch),
      m.finalLoss === null ? '–' : formatLoss(m.finalLoss),
      percent(m.trainAccuracy),
      `${percent(m.fullSong.accuracy)}${m.fullSong.exact ? ' ✓' : ''}`,
      formatDurationShort(m.seconds * 1000),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const table = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
  const lines = [head, `\`\`\`\n${table}\n\`\`\``, `Each sung from the first ${models[0]?.window ?? 4} notes (*italics*) · ${WRONG_NOTE_LEGEND}:`];
  const budget = Math.floor((MESSAGE_LIMIT - lines.join('\n').length - models.length * 24) / models.length);
  for (const m of models) {
    lines.push(`**${m.model}** ${markedSong({ window: m.window, tokens: m.fullSong.tokens, wrong: m.fullSong.wrong }, Math.max(40, budget))}`);
  }
  return clip(lines.join('\n'), MESSAGE_LIMIT);
}

/** One line of /jobs. */
export function jobLine(job: JobRecord, params: TrainParams | null, progress: TrainProgress | null, position: number | null): string {
  const model = params ? (params.model === 'all' ? 'all models' : params.model) : '?';
  const base = `**#${job.id}** ${melodyName(job.melodyName, 40)} · ${model} · <@${job.memberId}>`;
  if (job.state === 'running') {
    if (!progress) return `${base} · starting`;
    const fraction = progress.epochs > 0 ? progress.epoch / progress.epochs : 0;
    const which = progress.modelCount > 1 ? ` (${progress.model}, ${progress.modelIndex + 1}/${progress.modelCount})` : '';
    return `${base} · running${which} \`${progressBar(fraction, 10)}\` epoch ${progress.epoch}/${progress.epochs} · ETA ${formatDurationShort(etaOf(progress))}`;
  }
  return `${base} · ${job.recovered ? 'paused, resumes first' : 'waiting'}${position ? ` · position ${position}` : ''}`;
}

/** The reply of /complete. */
export function completionMessage(input: {
  readonly melody: string;
  readonly model: string;
  readonly epochs: number;
  readonly learnedAtEpoch: number | null;
  readonly window: number;
  /** 0-based start position in the melody, or null for one's own start notes. */
  readonly start: number | null;
  readonly temperature: number;
  readonly tokens: readonly string[];
  readonly fullSong: { readonly accuracy: number; readonly exact: boolean; readonly wrong: ModelSummary['fullSong']['wrong'] } | null;
  readonly oneStepAccuracy: number;
}): string {
  const from = input.start === null ? 'your start notes' : input.start === 0 ? `its first ${input.window} notes` : `note ${input.start + 1}`;
  const learned = input.learnedAtEpoch === null ? 'not learned exactly' : `learned at epoch ${input.learnedAtEpoch}`;
  const lines = [
    `🦋 ${melodyName(input.melody)} · **${input.model}** (${input.epochs} epochs, ${learned}) · from ${from} (*italics*) · temperature ${input.temperature}`,
  ];
  if (input.fullSong) {
    lines.push(
      `Against the original: ${percent(input.fullSong.accuracy)} right${input.fullSong.exact ? ', exactly the original' : ` (${input.fullSong.wrong.length} wrong)`} · one-step accuracy ${percent(input.oneStepAccuracy)}${input.fullSong.wrong.length > 0 ? ` · ${WRONG_NOTE_LEGEND}` : ''}`,
    );
  } else {
    lines.push(`Your own start, so nothing to compare with · one-step accuracy on the melody ${percent(input.oneStepAccuracy)}`);
  }
  const used = lines.join('\n').length + 1;
  lines.push(markedSong({ window: input.window, tokens: input.tokens, wrong: input.fullSong?.wrong ?? [] }, MESSAGE_LIMIT - used - 1, input.start ?? 0));
  return clip(lines.join('\n'), MESSAGE_LIMIT);
}

/** Where a model was trained, for summaries: "the fast engine" or "tf.js (wasm)". */
export function engineLabel(summary: Pick<ModelSummary, 'engine' | 'backend'>): string {
  if (summary.engine === 'fast') return 'the fast engine';
  if (summary.engine === 'tfjs') return `tf.js (${summary.backend})`;
  return summary.backend; // rows from before the engine was recorded
}
