import { setImmediate as nextTurn } from 'node:timers/promises';
import type { APIActionRowComponent, APIButtonComponentWithCustomId, APIEmbed, AttachmentPayload } from 'discord.js';
import { AudioRequestError, DEFAULT_AUDIO_FORMAT, midiFile, type AudioFormat } from '../audio/index.ts';
import type { WrongNote } from '../learning/compare.ts';
import type { Melody, MelodyEvent } from '../music/melody.ts';
import { parseToken } from '../music/tokens.ts';
import { renderComparison, renderLossChart, renderStaff, type LossSeries, type Picture } from '../pictures/index.ts';
import type { LossPoint } from '../storage/index.ts';
import type { ModelSummary } from '../training/types.ts';
import { CUSTOM_ID_SEPARATOR, customId } from './command.ts';
import { clip } from './text.ts';
import { renderAudioInWorker } from '../training/thread.ts';

// The pictures that go with a reply — a melody's score, a completion against the original with
// the wrong notes boxed in red, loss curves — as plans that are cheap to make and rendered only
// when the reply is about to carry them. Commands acknowledge the interaction first and render
// after; the publisher renders when it posts a job's summary. Rendering is synchronous (resvg,
// ~50–150 ms a picture), so each picture waits for a fresh turn of the event loop: interactions
// that arrive meanwhile are acknowledged in between. A picture that fails to render is logged and
// left out; the text always goes.
//
// No discord.js values here (types only), so the CLI can use the same plans without loading it.

export type PictureKind = 'staff' | 'loss' | 'completion';

/** A picture to render: its file name, what it is, and how to draw it. */
export interface PicturePlan {
  /** File name, e.g. "nabiya-stateful-loss.png". */
  readonly name: string;
  readonly kind: PictureKind;
  /** Alt text for the attachment. */
  readonly description: string;
  readonly render: () => Picture;
}

export interface RenderedPicture extends Picture {
  readonly name: string;
  readonly kind: PictureKind;
  readonly description: string;
}

/** The subset of the logger this module needs (src/bot/logger.ts's Logger fits). */
export interface PictureLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Embed colour of Nabi's pictures (the butterfly's blue). */
export const PICTURE_COLOR = 0x1f77b4;
/** Discord shows at most 10 embeds and 10 files per message. */
const MAX_PICTURES = 10;
/** Discord's limit of files per message. */
export const MAX_FILES = 10;
const TITLE_MAX = 80;

// ------------------------------------------------------------------------------------------------
// Observing (tests and diagnostics): every picture rendered for a message, with the SVG it came from.

type PictureListener = (picture: RenderedPicture) => void;
const listeners = new Set<PictureListener>();

/** Calls `listener` with every picture this module renders (PNG and SVG). Returns the unsubscribe. */
export function onPictureRendered(listener: PictureListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// ------------------------------------------------------------------------------------------------
// Names

/** A file name from a melody name: ASCII letters, digits, - and _, else "melody". */
export function fileNameFor(name: string): string {
  const base = name.normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return /[A-Za-z0-9]/.test(base) ? base : 'melody';
}

/** How a melody is named in a picture's title: its title when it has one, else its songbook name. */
export function pictureTitle(name: string, melody?: Pick<Melody, 'title'> | null): string {
  return clip((melody?.title ?? name).replace(/\s+/g, ' ').trim() || name, TITLE_MAX);
}

// ------------------------------------------------------------------------------------------------
// Plans

/** A melody's score: `<name>-staff.png`. */
export function staffPlan(name: string, melody: Melody, options: { readonly title?: string; readonly file?: string } = {}): PicturePlan {
  const title = options.title ?? pictureTitle(name, melody);
  return {
    name: options.file ?? `${fileNameFor(name)}-staff.png`,
    kind: 'staff',
    description: clip(`Staff notation of ${title}`, 1000),
    render: () => renderStaff(melody, { title }),
  };
}

export interface CompletionPictureInput {
  /** Songbook name (for the file name). */
  readonly name: string;
  /** Heading of the picture; pictureTitle(name, original) unless given. */
  readonly title?: string;
  readonly model: string;
  /**
   * The melody the model learned (metre, key and title come from it), or null when the start notes
   * were the member's own: then the completion is drawn alone, with nothing to compare.
   */
  readonly original: Melody | null;
  /** The start notes then the predicted ones, as tokens (formatEvent). */
  readonly tokens: readonly string[];
  /** Wrong notes, indexed by position in the original melody. */
  readonly wrong: readonly WrongNote[];
  /** Start notes given to the model (shaded). */
  readonly window: number;
  /** Position of tokens[0] in the original (0 = its beginning). */
  readonly start?: number;
  /** Second heading line; says how it was sung unless given. */
  readonly subtitle?: string;
  /** Label of the predicted staff; the model unless given. */
  readonly predictedLabel?: string;
  /** File name; `<name>-<model>-completion.png` unless given. */
  readonly file?: string;
}

/**
 * A completion as a score: the model's notes under the original's, aligned in time, the notes
 * that differ in red and boxed in red, the given start notes shaded.
 */
export function completionPlan(input: CompletionPictureInput): PicturePlan {
  const start = input.start ?? 0;
  const title = input.title ?? `${pictureTitle(input.name, input.original)} — ${input.model}`;
  const wrongCount = input.wrong.length;
  const from = input.original === null ? 'your start notes' : start === 0 ? `the first ${input.window} notes` : `note ${start + 1}`;
  const verdict = input.original === null ? 'nothing to compare with' : wrongCount === 0 ? 'every note right' : `${wrongCount} wrong ${wrongCount === 1 ? 'note' : 'notes'} in red`;
  const subtitle = input.subtitle ?? `sung from ${from} (shaded) · ${verdict}`;
  return {
    name: input.file ?? `${fileNameFor(input.name)}-${fileNameFor(input.model)}-completion.png`,
    kind: 'completion',
    description: clip(`${title}: ${subtitle}`, 1000),
    render: () => {
      const predicted: MelodyEvent[] = input.tokens.map((token) => parseToken(token));
      if (input.original === null) {
        return renderStaff({ events: predicted }, { title: `${title} (${input.predictedLabel ?? input.model})`, subtitle });
      }
      const original: Melody = { ...input.original, events: input.original.events.slice(start, start + predicted.length) };
      const wrong = input.wrong.map((w) => ({ ...w, index: w.index - start }));
      return renderComparison(original, predicted, wrong, { given: input.window, title, subtitle, predictedLabel: input.predictedLabel ?? input.model });
    },
  };
}

/** A trained model's loss per epoch, index 0 = `firstEpoch`. */
export interface LossHistory {
  readonly loss: readonly number[];
  readonly accuracy?: readonly number[];
  readonly firstEpoch: number;
}

/**
 * The model's loss history: the one its summary carries (complete across restarts), else the
 * points the queue recorded for it (`series` = the model; a resumed run repeats epochs after its
 * checkpoint, and the later report of an epoch wins). Null when neither has any.
 */
export function historyOf(summary: Pick<ModelSummary, 'model' | 'history'>, points: readonly LossPoint[] = [], single = true): LossHistory | null {
  if (summary.history && summary.history.loss.length > 0) return { loss: summary.history.loss, accuracy: summary.history.accuracy, firstEpoch: 1 };
  const byEpoch = new Map<number, LossPoint>();
  for (const point of points) {
    if (point.series !== undefined ? point.series !== summary.model : !single) continue;
    if (Number.isInteger(point.epoch) && point.epoch >= 1) byEpoch.set(point.epoch, point);
  }
  if (byEpoch.size === 0) return null;
  const epochs = [...byEpoch.keys()];
  const first = Math.min(...epochs);
  const last = Math.max(...epochs);
  const loss: number[] = [];
  const accuracy: number[] = [];
  for (let epoch = first; epoch <= last; epoch++) {
    const point = byEpoch.get(epoch);
    loss.push(point?.loss ?? Number.NaN);
    accuracy.push(point?.accuracy ?? Number.NaN);
  }
  return { loss, accuracy, firstEpoch: first };
}

export interface LossPictureInput {
  readonly name: string;
  /** The melody's title for the heading; the name unless given. */
  readonly title?: string;
  /** What was asked: a model, or 'all' for the tutorial's four on one chart. */
  readonly choice: string;
  readonly models: readonly Pick<ModelSummary, 'model' | 'history' | 'learnedAtEpoch'>[];
  /** The job's recorded loss points, used for a model whose summary has no history. */
  readonly points?: readonly LossPoint[];
  readonly file?: string;
}

/**
 * Loss (and, for one model, accuracy) per epoch with the epoch it was learned marked; several
 * models share one chart with a legend, as the tutorial's last figure. Null when no history is known.
 */
export function lossPlan(input: LossPictureInput): PicturePlan | null {
  const single = input.models.length === 1;
  const series: LossSeries[] = [];
  for (const m of input.models) {
    const history = historyOf(m, input.points ?? [], single);
    if (!history) continue;
    series.push({
      label: m.model,
      loss: history.loss,
      ...(single && history.accuracy && history.accuracy.length === history.loss.length ? { accuracy: history.accuracy } : {}),
      learnedAtEpoch: m.learnedAtEpoch,
      firstEpoch: history.firstEpoch,
    });
  }
  if (series.length === 0) return null;
  const melody = input.title ?? input.name;
  const which = single ? (input.models[0]?.model ?? input.choice) : input.models.length === 4 ? "the tutorial's four models" : input.models.map((m) => m.model).join(', ');
  const title = `${melody} — ${which}`;
  const fileModel = single ? (input.models[0]?.model ?? input.choice) : input.choice;
  return {
    name: input.file ?? `${fileNameFor(input.name)}-${fileNameFor(fileModel)}-loss.png`,
    kind: 'loss',
    description: clip(`Loss${single ? ' and accuracy' : ''} per epoch: ${title}`, 1000),
    render: () => renderLossChart({ title, series }),
  };
}

// ------------------------------------------------------------------------------------------------
// Rendering

/**
 * Renders the plans one by one, each on a fresh turn of the event loop. A failure is logged and
 * that picture left out; the rest still render. At most 10 (Discord's limit per message).
 */
export async function renderPictures(plans: readonly (PicturePlan | null | undefined)[], logger?: PictureLogger): Promise<RenderedPicture[]> {
  const out: RenderedPicture[] = [];
  for (const plan of plans) {
    if (!plan) continue;
    if (out.length >= MAX_PICTURES) {
      logger?.warn('more pictures than a message can carry; leaving the rest out', { picture: plan.name });
      break;
    }
    await nextTurn();
    let picture: RenderedPicture;
    try {
      const drawn = plan.render();
      picture = { ...drawn, name: plan.name, kind: plan.kind, description: plan.description };
    } catch (error) {
      logger?.warn('could not render a picture; sending the message without it', { picture: plan.name, err: error });
      continue;
    }
    out.push(picture);
    for (const listener of listeners) {
      try {
        listener(picture);
      } catch {
        // An observer's problem is not the reply's.
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Into Discord messages: each picture is an attachment shown as an embed's image, so several
// pictures stack at full width instead of being cropped into a gallery.

function embedsOf(pictures: readonly RenderedPicture[]): APIEmbed[] {
  return pictures.map((p) => ({ color: PICTURE_COLOR, image: { url: `attachment://${p.name}` } }));
}

/** For discord.js reply/editReply/followUp: `files` and `embeds`. */
export function messagePictures(pictures: readonly RenderedPicture[]): { files: AttachmentPayload[]; embeds: APIEmbed[] } {
  return {
    files: pictures.map((p) => ({ attachment: Buffer.from(p.png.buffer, p.png.byteOffset, p.png.byteLength), name: p.name, description: p.description })),
    embeds: embedsOf(pictures),
  };
}

/** For raw REST posts (client.rest): the files to upload and what the JSON body adds for them. */
export function restPictures(pictures: readonly RenderedPicture[]): {
  files: { name: string; data: Buffer; contentType: string }[];
  body: { embeds: APIEmbed[]; attachments: { id: number; filename: string; description: string }[] };
} {
  return {
    files: pictures.map((p) => ({ name: p.name, data: Buffer.from(p.png.buffer, p.png.byteOffset, p.png.byteLength), contentType: 'image/png' })),
    body: {
      embeds: embedsOf(pictures),
      attachments: pictures.map((p, id) => ({ id, filename: p.name, description: p.description })),
    },
  };
}

/**
 * Whether Discord refused a message because of what it carried (too large, a bad attachment)
 * rather than where it went: then the text is worth sending again without the pictures.
 */
export function refusedForPictures(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 400 || status === 413;
}

/**
 * Sends `send` with the pictures; when Discord refuses the message because of them, sends it again
 * without them (logged), so the text is never lost to a picture.
 */
export async function sendWithPictures<T>(
  pictures: readonly RenderedPicture[],
  send: (extra: { files?: AttachmentPayload[]; embeds?: APIEmbed[] }) => Promise<T>,
  logger?: PictureLogger,
): Promise<T> {
  if (pictures.length === 0) return send({});
  try {
    return await send(messagePictures(pictures));
  } catch (error) {
    if (!refusedForPictures(error)) throw error;
    logger?.warn('Discord refused the message with its pictures; sending the text alone', { pictures: pictures.map((p) => p.name).join(', '), err: error });
    return send({});
  }
}

// ------------------------------------------------------------------------------------------------
// Sound: a melody (or a completion) as an audio file — OGG Opus by default, Discord plays it
// inline — plus the same notes as a MIDI file, always. Rendered after the reply is acknowledged,
// like the pictures: Tone renders offline in ~0.4–0.7 s (and loads once, ~0.7 s, unless
// preloadAudio ran at start). A sound that cannot be rendered, or would not fit in a message, is
// left out with a line the member can read (`notes`); the text always goes.

/** Discord's upload limit for a server without boosts; larger files are refused with 413. */
export const DISCORD_FILE_LIMIT = 8 * 1024 * 1024;

export type SoundKind = 'audio' | 'midi';

/** A melody to turn into sound: an audio file `<file>.<format>` and a MIDI file `<file>.mid`. */
export interface SoundPlan {
  /** File name without extension, e.g. "nabiya" or "nabiya-mlp-completion". */
  readonly file: string;
  readonly melody: Melody;
  /** What it is, for the alt text, e.g. "나비야 (Butterfly)". */
  readonly description: string;
  readonly format?: AudioFormat;
  /** Also attach the MIDI file (default true). */
  readonly midi?: boolean;
}

export interface RenderedSound {
  readonly name: string;
  readonly kind: SoundKind;
  readonly format: AudioFormat | 'midi';
  readonly mime: string;
  readonly description: string;
  readonly bytes: Uint8Array;
  /** The melody that was rendered (tests compare it with the decoded sound). */
  readonly melody: Melody;
  /** Length of the audio in seconds (MIDI: the audio's, when rendered). */
  readonly durationSeconds?: number;
}

export interface RenderedSounds {
  readonly files: RenderedSound[];
  /** Lines for the member about sound that was left out (too long, too large). */
  readonly notes: string[];
}

/** A melody's sound: `<name>.ogg` and `<name>.mid`. */
export function melodySoundPlan(name: string, melody: Melody, options: { readonly format?: AudioFormat; readonly file?: string } = {}): SoundPlan {
  return { file: options.file ?? fileNameFor(name), melody, description: pictureTitle(name, melody), ...(options.format ? { format: options.format } : {}) };
}

/** A completion's sound from its tokens: `<name>-<model>-completion.ogg` and `.mid`. */
export function completionSoundPlan(input: {
  readonly name: string;
  readonly model: string;
  readonly tokens: readonly string[];
  /** Metre, key, tempo and title of the melody it was learned from. */
  readonly meta?: Omit<Melody, 'events'> | null;
  readonly format?: AudioFormat;
  readonly file?: string;
}): SoundPlan | null {
  let events: MelodyEvent[];
  try {
    events = input.tokens.map((token) => parseToken(token));
  } catch {
    return null;
  }
  if (events.length === 0) return null;
  const { title: _title, ...meta } = input.meta ?? {};
  const title = `${pictureTitle(input.name, input.meta ?? null)} — ${input.model}`;
  return {
    file: input.file ?? `${fileNameFor(input.name)}-${fileNameFor(input.model)}-completion`,
    melody: { ...meta, title, events },
    description: `${title}, as the model sang it`,
    ...(input.format ? { format: input.format } : {}),
  };
}

type SoundListener = (sound: RenderedSound) => void;
const soundListeners = new Set<SoundListener>();

/** Calls `listener` with every sound file this module renders. Returns the unsubscribe. */
export function onSoundRendered(listener: SoundListener): () => void {
  soundListeners.add(listener);
  return () => soundListeners.delete(listener);
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** Why a file of `bytes` cannot be attached, or null when it can. */
export function tooLargeMessage(what: string, bytes: number, format: AudioFormat | 'midi', limit = DISCORD_FILE_LIMIT): string | null {
  if (bytes <= limit) return null;
  const hint = format === 'wav' ? ' — export it as `ogg` (about a twentieth of the size) or `mp3` instead' : ' — try a faster tempo or a shorter melody';
  return `${what} would be ${formatBytes(bytes)}; Discord takes files up to ${formatBytes(limit)}${hint}.`;
}

/**
 * Renders each plan's audio (in a worker thread: Tone.js and the encoders never block the bot's
 * event loop) and MIDI. Failures are logged and left out; a refusal the member can act on (too
 * long, too large) becomes a line in `notes`.
 */
export async function renderSounds(plans: readonly (SoundPlan | null | undefined)[], logger?: PictureLogger, limit = DISCORD_FILE_LIMIT): Promise<RenderedSounds> {
  const files: RenderedSound[] = [];
  const notes: string[] = [];
  const emit = (sound: RenderedSound): void => {
    files.push(sound);
    for (const listener of soundListeners) {
      try {
        listener(sound);
      } catch {
        // An observer's problem is not the reply's.
      }
    }
  };
  for (const plan of plans) {
    if (!plan) continue;
    const format = plan.format ?? DEFAULT_AUDIO_FORMAT;
    await nextTurn();
    try {
      const audio = await renderAudioInWorker(plan.melody, format, plan.file);
      const name = `${plan.file}.${format}`;
      const refusal = tooLargeMessage(`The ${format.toUpperCase()} file`, audio.bytes.byteLength, format, limit);
      if (refusal) {
        notes.push(`🔇 ${refusal}`);
      } else {
        emit({ name, kind: 'audio', format, mime: audio.mime, description: clip(`${plan.description} (${format.toUpperCase()}, ${audio.durationSeconds.toFixed(1)} s)`, 1000), bytes: audio.bytes, melody: plan.melody, durationSeconds: audio.durationSeconds });
      }
    } catch (error) {
      if (error instanceof AudioRequestError) {
        notes.push(`🔇 No audio: ${error.userMessage}.`);
      } else {
        logger?.warn('could not render the audio; sending the message without it', { sound: `${plan.file}.${format}`, err: error });
      }
    }
    if (plan.midi === false) continue;
    try {
      const midi = midiFile(plan.melody, { name: plan.file });
      if (midi.bytes.byteLength <= limit) {
        emit({ name: `${plan.file}.mid`, kind: 'midi', format: 'midi', mime: midi.mime, description: clip(`${plan.description} (MIDI)`, 1000), bytes: midi.bytes, melody: plan.melody });
      }
    } catch (error) {
      logger?.warn('could not write the MIDI file; sending the message without it', { sound: `${plan.file}.mid`, err: error });
    }
  }
  return { files, notes };
}

// ------------------------------------------------------------------------------------------------
// ▶ and ⏹ under a melody, completion or summary: the `play` and `stop` commands handle them.
//
//   play:melody:<songbook name>
//   play:completion:job:<job id>:<model>                             a training summary's song
//   play:completion:model:<trained model id>:<start>:<length>:<temperature>:<seed>
//       start: a note index (0-based), or the member's own start notes as tokens joined by spaces
//       with ":" written "=" (c5:4 → c5=4); length: empty for "to the end"
//   stop

export type PlayTarget =
  | { readonly kind: 'melody'; readonly name: string }
  | { readonly kind: 'job'; readonly jobId: number; readonly model: string }
  | {
      readonly kind: 'model';
      readonly modelId: number;
      readonly start: number | readonly string[];
      readonly length: number | null;
      readonly temperature: number;
      readonly seed: number;
    };

/** The ▶ button's custom id for `target`, or null when it cannot fit in 100 characters. */
export function playCustomId(target: PlayTarget): string | null {
  let args: string[];
  if (target.kind === 'melody') args = ['melody', target.name];
  else if (target.kind === 'job') args = ['completion', 'job', String(target.jobId), target.model];
  else {
    const start = typeof target.start === 'number' ? String(target.start) : target.start.map((t) => t.replace(/:/g, '=')).join(' ');
    args = ['completion', 'model', String(target.modelId), start, target.length === null ? '' : String(target.length), String(target.temperature), String(target.seed)];
  }
  try {
    return customId('play', ...args);
  } catch {
    return null;
  }
}

/** What a ▶ button's args (after "play") ask for; null when they are not one of the shapes above. */
export function parsePlayTarget(args: readonly string[]): PlayTarget | null {
  const [what, a, b, c, d, e, f] = args;
  if (what === 'melody' && a) return { kind: 'melody', name: args.slice(1).join(CUSTOM_ID_SEPARATOR) };
  if (what !== 'completion') return null;
  if (a === 'job' && b && /^\d+$/.test(b) && c) return { kind: 'job', jobId: Number(b), model: c };
  if (a === 'model' && b && /^\d+$/.test(b) && c !== undefined && d !== undefined && e !== undefined && f !== undefined) {
    const temperature = Number(e);
    const seed = Number(f);
    if (!Number.isFinite(temperature) || !Number.isInteger(seed)) return null;
    if (d !== '' && !/^\d+$/.test(d)) return null;
    const start = /^\d+$/.test(c) ? Number(c) : c.split(' ').filter(Boolean).map((t) => t.replace(/=/g, ':'));
    return { kind: 'model', modelId: Number(b), start, length: d === '' ? null : Number(d), temperature, seed };
  }
  return null;
}

/**
 * The action row with a ▶ for each target (when it fits in a custom id; at most 4, labelled when
 * there are several) and ⏹.
 */
export function playButtons(...targets: readonly (PlayTarget | { readonly target: PlayTarget; readonly label: string })[]): APIActionRowComponent<APIButtonComponentWithCustomId> {
  const buttons: APIButtonComponentWithCustomId[] = [];
  for (const item of targets.slice(0, 4)) {
    const target = 'target' in item ? item.target : item;
    const play = playCustomId(target);
    const label = 'target' in item ? clip(`Play ${item.label}`, 80) : 'Play';
    if (play) buttons.push({ type: 2, style: 1, custom_id: play, emoji: { name: '▶️' }, label } as APIButtonComponentWithCustomId);
  }
  buttons.push({ type: 2, style: 2, custom_id: customId('stop'), emoji: { name: '⏹️' }, label: 'Stop' } as APIButtonComponentWithCustomId);
  return { type: 1, components: buttons } as APIActionRowComponent<APIButtonComponentWithCustomId>;
}

/** For discord.js: the sound files as plain attachments (no embed: Discord shows a player). */
export function messageSounds(sounds: readonly RenderedSound[]): AttachmentPayload[] {
  return sounds.map((s) => ({ attachment: Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength), name: s.name, description: s.description }));
}

/** For raw REST posts: sound files to upload, numbered after `firstId` pictures. */
export function restSounds(sounds: readonly RenderedSound[], firstId = 0): {
  files: { name: string; data: Buffer; contentType: string }[];
  attachments: { id: number; filename: string; description: string }[];
} {
  return {
    files: sounds.map((s) => ({ name: s.name, data: Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength), contentType: s.mime })),
    attachments: sounds.map((s, i) => ({ id: firstId + i, filename: s.name, description: s.description })),
  };
}

/**
 * Sends `send` with the pictures and the sounds. When Discord refuses it because of what it
 * carries, tries again with the pictures alone, then the text alone (each logged).
 */
export async function sendWithAttachments<T>(
  pictures: readonly RenderedPicture[],
  sounds: readonly RenderedSound[],
  send: (extra: { files?: AttachmentPayload[]; embeds?: APIEmbed[] }) => Promise<T>,
  logger?: PictureLogger,
): Promise<T> {
  if (sounds.length === 0) return sendWithPictures(pictures, send, logger);
  try {
    const withPictures = messagePictures(pictures);
    return await send({ files: [...withPictures.files, ...messageSounds(sounds)], embeds: withPictures.embeds });
  } catch (error) {
    if (!refusedForPictures(error)) throw error;
    logger?.warn('Discord refused the message with its sound files; sending it without them', { sounds: sounds.map((s) => s.name).join(', '), err: error });
    return sendWithPictures(pictures, send, logger);
  }
}
