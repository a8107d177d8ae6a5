import { DiscordAPIError, Routes, type Client } from 'discord.js';
import {
  MAX_FILES,
  completionPlan,
  completionSoundPlan,
  lossPlan,
  pictureTitle,
  playButtons,
  refusedForPictures,
  renderPictures,
  renderSounds,
  restPictures,
  restSounds,
  type PicturePlan,
  type RenderedPicture,
  type RenderedSound,
  type PlayTarget,
  type SoundPlan,
} from '../bot/attachments.ts';
import { clip, MESSAGE_LIMIT } from '../bot/text.ts';
import type { Logger } from '../bot/logger.ts';
import { progressMessage, trainSummary } from '../bot/format.ts';
import type { Melody } from '../music/melody.ts';
import { parseToken } from '../music/tokens.ts';
import type { Job, JobQueue } from '../queue/index.ts';
import type { JsonObject, Storage } from '../storage/index.ts';
import { BUILTIN_OWNER, builtinSong } from './songbook.ts';
import { readTrainParams, readTrainProgress, readTrainResult, type ModelSummary, type TrainParams, type TrainProgress, type TrainResultData } from './types.ts';

// Turns queue events into Discord messages. Each job has ONE progress message — the /train reply —
// edited as the job moves (queued → running with a bar → done/failed/cancelled), at most once per
// `editIntervalMs` per job; when a job is done, the loss summary is posted as a new message.
//
// Where the messages go: through the interaction's webhook (its token is stored on the job row)
// while the token is valid; once it has expired (15 minutes) or Discord refuses it, through the
// bot's channel routes — PATCH /channels/:id/messages/:id on the same message, or if that is not
// possible a new channel message (POST), whose id then becomes the job's progress message.
// Every body carries allowed_mentions { parse: [] }: nothing the bot writes pings anyone.
//
// The summary carries pictures: the loss curve (one chart for model:all, as the tutorial's last
// figure) and each model's song sung from its first notes against the original, wrong notes in
// red — and each song as sound (OGG + MIDI) with ▶/⏹ buttons (play:completion:job:<id>:<model>).
// They are made when the summary is posted — never on an interaction's path — and a file that
// fails to render, or that Discord refuses, is left out: the text always goes.
//
// Rendering always starts from the job row in storage, so events may arrive in any order (a job
// can start before its 'enqueued' event) and a restarted bot picks up where the last one stopped.

export interface JobPublisherOptions {
  readonly client: Client;
  readonly storage: Storage;
  readonly queue: JobQueue;
  readonly logger?: Logger;
  /** Minimum time between two edits of one job's progress message. Default 2000 ms. */
  readonly editIntervalMs?: number;
  /** The token is treated as expired this long before its recorded expiry. Default 30 s. */
  readonly tokenMarginMs?: number;
}

interface Tracked {
  readonly jobId: number;
  progress: TrainProgress | null;
  dirty: boolean;
  lastEditAt: number;
  timer: NodeJS.Timeout | null;
  inFlight: Promise<void> | null;
  /** Set once an end event arrived: after the final edit the summary goes out and tracking stops. */
  ended: boolean;
  /** Gave up on this job's messages (no access to the channel). */
  broken: boolean;
}

const NO_PINGS = { parse: [] as string[] };
/** Discord codes meaning the interaction token can no longer be used. */
const TOKEN_GONE = new Set<number | string>([50027, 10015]);
/** Codes meaning the message to edit is not there or not ours to edit. */
const MESSAGE_GONE = new Set<number | string>([10008, 50005]);
/** Codes meaning the bot cannot write in the channel at all. */
const NO_ACCESS = new Set<number | string>([50001, 50013, 10003]);

export class JobPublisher {
  readonly #client: Client;
  readonly #storage: Storage;
  readonly #queue: JobQueue;
  readonly #logger: Logger | undefined;
  readonly #interval: number;
  readonly #margin: number;
  readonly #tracked = new Map<number, Tracked>();
  #unsubscribe: (() => void)[] = [];
  #stopping = false;

  constructor(options: JobPublisherOptions) {
    this.#client = options.client;
    this.#storage = options.storage;
    this.#queue = options.queue;
    this.#logger = options.logger;
    this.#interval = options.editIntervalMs ?? 2000;
    this.#margin = options.tokenMarginMs ?? 30_000;
  }

  /** Subscribes to the queue; call before queue.start() so restart recoveries are shown. */
  start(): void {
    if (this.#unsubscribe.length > 0) return;
    this.#stopping = false;
    const q = this.#queue;
    this.#unsubscribe = [
      q.on('enqueued', ({ job }) => this.#touch(job.id)),
      q.on('started', ({ job }) => {
        this.#touch(job.id);
        this.#touchQueued();
      }),
      q.on('progress', ({ job, progress }) => this.#touch(job.id, progress)),
      q.on('requeued', ({ job }) => this.#touch(job.id)),
      q.on('done', ({ job }) => this.#end(job)),
      q.on('failed', ({ job }) => this.#end(job)),
      q.on('cancelled', ({ job }) => this.#end(job)),
    ];
  }

  /** Sends what is pending at once (ignoring the edit interval), then stops. Bounded by `timeoutMs`. */
  async stop(timeoutMs = 3000): Promise<void> {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#stopping = true;
    const pending: Promise<void>[] = [];
    for (const entry of this.#tracked.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      pending.push((async () => {
        if (entry.inFlight) await entry.inFlight;
        if (entry.dirty) await this.#flush(entry, true);
      })());
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#tracked.clear();
  }

  #entry(jobId: number): Tracked {
    let entry = this.#tracked.get(jobId);
    if (!entry) {
      entry = { jobId, progress: null, dirty: false, lastEditAt: 0, timer: null, inFlight: null, ended: false, broken: false };
      this.#tracked.set(jobId, entry);
    }
    return entry;
  }

  #touch(jobId: number, progress?: JsonObject): void {
    if (this.#stopping) return;
    const entry = this.#entry(jobId);
    if (progress) entry.progress = readTrainProgress(progress) ?? entry.progress;
    entry.dirty = true;
    this.#schedule(entry);
  }

  /** Waiting jobs move up when another starts: refresh their positions. */
  #touchQueued(): void {
    for (const entry of this.#tracked.values()) {
      if (entry.ended || entry.broken) continue;
      const job = this.#job(entry.jobId);
      if (job?.state === 'queued') {
        entry.dirty = true;
        this.#schedule(entry);
      }
    }
  }

  #end(job: Job): void {
    if (this.#stopping) return;
    const entry = this.#entry(job.id);
    entry.ended = true;
    entry.dirty = true;
    this.#schedule(entry);
    this.#touchQueued();
  }

  #schedule(entry: Tracked): void {
    if (entry.inFlight || entry.timer || this.#stopping) return;
    const wait = Math.max(0, entry.lastEditAt + this.#interval - Date.now());
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void this.#flush(entry, false);
    }, wait);
  }

  async #flush(entry: Tracked, final: boolean): Promise<void> {
    if (!entry.dirty) return;
    entry.dirty = false;
    entry.lastEditAt = Date.now();
    const work = (async () => {
      const job = this.#job(entry.jobId);
      if (!job || entry.broken) return;
      try {
        await this.#editProgress(job, entry);
        if (entry.ended && job.state === 'done') await this.#postSummary(job);
      } catch (error) {
        this.#reportFailure(job, error, entry);
      }
    })();
    entry.inFlight = work;
    await work;
    // The interval counts from the answer, not the request: Discord then sees edits at least the
    // interval apart however long a request took on the way (arrival N ≥ answer N−1 + interval).
    entry.lastEditAt = Date.now();
    entry.inFlight = null;
    if (entry.ended && !entry.dirty) {
      this.#tracked.delete(entry.jobId);
    } else if (entry.dirty && !final) {
      this.#schedule(entry);
    }
  }

  #job(jobId: number): Job | null {
    if (!this.#storage.isOpen) return null;
    try {
      return this.#storage.jobs.get(jobId);
    } catch {
      return null;
    }
  }

  async #editProgress(job: Job, entry: Tracked): Promise<void> {
    const params = safeParams(job.params);
    const progress = entry.progress ?? readTrainProgress(job.progress);
    const position = job.state === 'queued' ? await this.#queue.position(job.id) : null;
    const content = progressMessage({ job, params, progress, position, result: readTrainResult(job.result) });
    const body = { content, allowed_mentions: NO_PINGS };

    if (this.#tokenUsable(job)) {
      try {
        const message = (await this.#client.rest.patch(Routes.webhookMessage(this.#appId(), job.interactionToken!, '@original'), { body, auth: false })) as {
          id?: string;
        };
        if (job.progressMessageId === null && typeof message?.id === 'string') this.#storage.jobs.setProgressMessage(job.id, message.id);
        return;
      } catch (error) {
        if (!isCode(error, TOKEN_GONE) && !isCode(error, MESSAGE_GONE) && statusOf(error) !== 401 && statusOf(error) !== 404) throw error;
        this.#logger?.info('interaction token no longer usable; continuing in the channel', { job: job.id, status: statusOf(error), code: codeOf(error) });
        if (isCode(error, MESSAGE_GONE)) this.#storage.jobs.setProgressMessage(job.id, null);
        this.#storage.jobs.setInteraction(job.id, null, null);
      }
    }

    const messageId = this.#storage.jobs.get(job.id)?.progressMessageId ?? null;
    if (messageId !== null) {
      try {
        await this.#client.rest.patch(Routes.channelMessage(job.channelId, messageId), { body });
        return;
      } catch (error) {
        if (!isCode(error, MESSAGE_GONE) && statusOf(error) !== 404) throw error;
        this.#logger?.info('progress message cannot be edited; posting a new one', { job: job.id, code: codeOf(error) });
      }
    }
    const created = (await this.#client.rest.post(Routes.channelMessages(job.channelId), { body })) as { id: string };
    this.#storage.jobs.setProgressMessage(job.id, created.id);
  }

  async #postSummary(job: Job): Promise<void> {
    const result = readTrainResult(job.result);
    if (!result) return;
    const params = safeParams(job.params);
    let content = trainSummary(job, params, result);
    const pictures = await renderPictures(this.#summaryPictures(job, params, result), this.#logger);
    const sounds = await renderSounds(this.#summarySounds(job, result), this.#logger);
    if (sounds.notes.length > 0) content = clip([content, ...sounds.notes].join('\n'), MESSAGE_LIMIT);
    const sung = result.models.filter((m) => m.fullSong.tokens.length > m.window);
    const several = sung.length > 1;
    const components = sung.length === 0 ? [] : [playButtons(...sung.map((m) => (several ? { target: playTarget(job, m), label: m.model } : playTarget(job, m))))];
    // Discord takes 10 files a message: when pictures and sounds do not fit together (model:all),
    // the sounds follow in a second message.
    const together = pictures.length + sounds.files.length <= MAX_FILES;
    const first: Post = { content, pictures, sounds: together ? sounds.files : [], components: together || sounds.files.length === 0 ? components : [] };
    const second: Post | null = together ? null : { content: `🎵 ${sung.map((m) => `**${m.model}**`).join(', ')} sung from the first notes, as sound:`, pictures: [], sounds: sounds.files.slice(0, MAX_FILES), components };
    const current = this.#storage.jobs.get(job.id) ?? job;
    if (this.#tokenUsable(current)) {
      try {
        const route = Routes.webhook(this.#appId(), current.interactionToken!);
        const options = { auth: false, query: new URLSearchParams({ wait: 'true' }) };
        await this.#post(route, first, options);
        if (second) await this.#post(route, second, options);
        return;
      } catch (error) {
        if (!isCode(error, TOKEN_GONE) && statusOf(error) !== 401 && statusOf(error) !== 404) throw error;
        this.#storage.jobs.setInteraction(job.id, null, null);
      }
    }
    await this.#post(Routes.channelMessages(job.channelId), first);
    if (second) await this.#post(Routes.channelMessages(job.channelId), second);
  }

  /** Posts the text with its files; if Discord refuses them, with the pictures alone, then the text alone. */
  async #post(route: `/${string}`, post: Post, options: { auth?: boolean; query?: URLSearchParams } = {}): Promise<void> {
    const text = { content: post.content, allowed_mentions: NO_PINGS, ...(post.components.length > 0 ? { components: post.components } : {}) };
    const attempts: [readonly RenderedPicture[], readonly RenderedSound[]][] = [];
    if (post.sounds.length > 0) attempts.push([post.pictures, post.sounds]);
    if (post.pictures.length > 0) attempts.push([post.pictures, []]);
    for (const [pictures, sounds] of attempts) {
      const shown = restPictures(pictures);
      const heard = restSounds(sounds, pictures.length);
      try {
        await this.#client.rest.post(route, {
          ...options,
          body: { ...text, embeds: shown.body.embeds, attachments: [...shown.body.attachments, ...heard.attachments] },
          files: [...shown.files, ...heard.files],
        });
        return;
      } catch (error) {
        if (!refusedForPictures(error)) throw error;
        this.#logger?.warn('Discord refused the summary with its files; posting it with fewer', { status: statusOf(error), code: codeOf(error), sounds: sounds.length });
      }
    }
    await this.#client.rest.post(route, { ...options, body: text });
  }

  /** Each model's song from its first notes as sound: OGG and MIDI. */
  #summarySounds(job: Job, result: TrainResultData): (SoundPlan | null)[] {
    const name = result.melody || job.melodyName;
    const meta = this.#melodyMeta(job);
    return result.models
      .filter((m) => m.fullSong.tokens.length > m.window)
      .map((m) => completionSoundPlan({ name, model: m.model, tokens: m.fullSong.tokens, meta }));
  }

  /** The loss chart, then each model's song from its first notes against the original. */
  #summaryPictures(job: Job, params: TrainParams | null, result: TrainResultData): PicturePlan[] {
    const name = result.melody || job.melodyName;
    const meta = this.#melodyMeta(job);
    const title = pictureTitle(name, meta);
    const plans: PicturePlan[] = [];
    const loss = lossPlan({
      name,
      title,
      choice: params?.model ?? (result.models.length > 1 ? 'all' : (result.models[0]?.model ?? 'model')),
      models: result.models,
      points: job.lossHistory,
    });
    if (loss) plans.push(loss);
    for (const m of result.models) {
      if (m.fullSong.tokens.length <= m.window) continue;
      plans.push(
        completionPlan({ name, title: `${title} — ${m.model}`, model: m.model, original: learnedMelody(m, meta), tokens: m.fullSong.tokens, wrong: m.fullSong.wrong, window: m.window }),
      );
    }
    return plans;
  }

  /** Metre, key, tempo and title of a built-in song (the server's copy keeps only the notes). */
  #melodyMeta(job: Job): Omit<Melody, 'events'> {
    if (job.melodyId === null) return {};
    try {
      const record = this.#storage.melodies.getById(job.melodyId);
      if (!record || record.ownerId !== BUILTIN_OWNER) return {};
      const { events: _events, ...meta } = builtinSong(record.name)?.melody ?? { events: [] };
      return meta;
    } catch {
      return {};
    }
  }

  #tokenUsable(job: Job): boolean {
    if (job.interactionToken === null) return false;
    return job.interactionExpiresAt === null || Date.now() < job.interactionExpiresAt - this.#margin;
  }

  #appId(): string {
    const id = this.#client.application?.id ?? this.#client.user?.id;
    if (!id) throw new Error('The client has no application id yet');
    return id;
  }

  #reportFailure(job: Job, error: unknown, entry: Tracked): void {
    if (isCode(error, NO_ACCESS) || statusOf(error) === 403) {
      entry.broken = true;
      this.#logger?.warn('cannot post job messages in the channel; giving up on them', { job: job.id, channel: job.channelId, code: codeOf(error) });
      return;
    }
    // Only status and code: a webhook URL holds the interaction token.
    this.#logger?.warn('could not update a job message', {
      job: job.id,
      status: statusOf(error),
      code: codeOf(error),
      reason: error instanceof DiscordAPIError ? error.message : error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * The melody the model was compared with: its full-song tokens with each wrong note put back to
 * what the original has there. Null when the tokens cannot be read (then the song is drawn alone).
 */
function learnedMelody(summary: ModelSummary, meta: Omit<Melody, 'events'>): Melody | null {
  try {
    const expected = new Map(summary.fullSong.wrong.map((w) => [w.index, w.expected]));
    return { ...meta, events: summary.fullSong.tokens.map((token, i) => parseToken(expected.get(i) ?? token)) };
  } catch {
    return null;
  }
}

interface Post {
  readonly content: string;
  readonly pictures: readonly RenderedPicture[];
  readonly sounds: readonly RenderedSound[];
  readonly components: readonly ReturnType<typeof playButtons>[];
}

/** The ▶ of a summary's song: the job and the model (its tokens are in the job's result). */
function playTarget(job: Job, summary: ModelSummary): PlayTarget {
  return { kind: 'job', jobId: job.id, model: summary.model };
}

function safeParams(json: JsonObject): TrainParams | null {
  try {
    return readTrainParams(json);
  } catch {
    return null;
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof DiscordAPIError ? error.status : (error as { status?: number } | null)?.status;
}

function codeOf(error: unknown): number | string | undefined {
  return error instanceof DiscordAPIError ? error.code : undefined;
}

function isCode(error: unknown, codes: ReadonlySet<number | string>): boolean {
  const code = codeOf(error);
  return code !== undefined && codes.has(code);
}
