import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InteractionResponseType } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { onPictureRendered, sendWithPictures, type RenderedPicture } from '../../src/bot/attachments.ts';
import { createLogger } from '../../src/bot/logger.ts';
import { startBot, type RunningBot } from '../../src/bot/main.ts';
import { registerCommands } from '../../src/bot/register.ts';
import { loadConfig } from '../../src/config.ts';
import type * as Pictures from '../../src/pictures/index.ts';
import { readSummary, readTrainResult } from '../../src/training/types.ts';
import { attributes, countPixels, pngSize, tags } from '../pictures/png.ts';
import { FakeDiscord, waitUntil, type RecordedFile, type RecordedRequest, type SentInteraction } from './fake-discord/index.ts';

// Pictures in Discord replies, end to end with the real bot: /melody show and add reply with the
// text at once and then attach the score; a training job's summary carries its loss chart and the
// song sung from its first notes against the original; /complete carries that comparison with the
// wrong notes in red. Every attachment is checked three ways: it decodes as a PNG with something
// drawn on it, it is byte for byte the picture the bot rendered (seen through onPictureRendered,
// with the SVG it came from), and that SVG holds exactly the data of the reply (loss history,
// wrong notes). A melody named "boom…" makes the picture renderer fail on purpose: the text must
// still arrive.

vi.mock('../../src/pictures/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof Pictures>();
  const boom = (title: string | undefined): void => {
    if (title?.includes('boom')) throw new Error('the renderer failed on purpose (test)');
  };
  return {
    ...original,
    renderStaff: (...args: Parameters<typeof original.renderStaff>) => {
      boom(args[1]?.title);
      return original.renderStaff(...args);
    },
    renderLossChart: (...args: Parameters<typeof original.renderLossChart>) => {
      boom(args[0].title);
      return original.renderLossChart(...args);
    },
  };
});

const EDIT = 'PATCH /webhooks/:app/:token/messages/:message';
const FOLLOW_UP = 'POST /webhooks/:app/:token';
/** Where the e2e pictures are left for a person to look at (overwritten on every run). */
const KEEP = path.join(os.tmpdir(), 'nabi-e2e-pictures');

describe('pictures in replies', () => {
  let fake: FakeDiscord;
  let bot: RunningBot;
  let dataDir: string;
  const logLines: string[] = [];
  const rendered: RenderedPicture[] = [];
  let unsubscribe: () => void = () => {};

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-e2e-pictures-'));
    fs.mkdirSync(KEEP, { recursive: true });
    unsubscribe = onPictureRendered((picture) => rendered.push(picture));
    const config = loadConfig(fake.env({ DATA_DIR: dataDir, TRAIN_WORKERS: '1' }));
    await registerCommands(config);
    bot = await startBot(config, { logger: createLogger({ level: 'debug', sink: (line) => logLines.push(line) }), readyTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    unsubscribe();
    await bot?.stop();
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The picture the bot rendered that is byte for byte this attachment. */
  const renderedAs = (file: RecordedFile): RenderedPicture => {
    const picture = rendered.find((p) => p.name === file.name && Buffer.from(p.png).equals(file.data));
    if (!picture) throw new Error(`no rendered picture is the attachment ${file.name}`);
    fs.writeFileSync(path.join(KEEP, file.name), file.data);
    return picture;
  };

  /** A PNG 1200 px wide with ink on at least `minInk` of it. */
  const expectDrawn = (file: RecordedFile, minInk = 0.01): ReturnType<typeof countPixels> => {
    const size = pngSize(file.data);
    expect(size.width).toBe(1200);
    expect(size.height).toBeGreaterThan(200);
    const pixels = countPixels(file.data);
    expect(pixels.ink / (pixels.width * pixels.height)).toBeGreaterThan(minInk);
    expect(file.contentType).toBe('image/png');
    return pixels;
  };

  /** Each file is shown as an embed image, and described (alt text). */
  const expectEmbedded = (request: RecordedRequest): void => {
    const names = request.files.map((f) => f.name);
    // Pictures are embeds; sound files (OGG, MIDI — see audio.test.ts) are attachments only.
    const pictures = names.filter((n) => n.endsWith('.png'));
    expect(request.message?.embeds?.map((e) => e.image?.url)).toEqual(pictures.map((n) => `attachment://${n}`));
    expect(request.message?.attachments?.map((a) => a.filename ?? names[Number(a.id)])).toEqual(names);
    for (const a of request.message?.attachments ?? []) expect(a.description ?? '').not.toBe('');
    expect(request.message?.allowed_mentions).toEqual({ parse: [] });
  };

  /** Note heads of one staff of a score SVG: index, token, wrong. */
  const heads = (svg: string, voice: string): { index: number; token: string; wrong: boolean }[] =>
    tags(svg, 'data-token=')
      .map(attributes)
      .filter((a) => a.get('data-voice') === voice)
      .map((a) => ({ index: Number(a.get('data-index')), token: a.get('data-token') ?? '', wrong: a.get('data-wrong') === 'true' }));

  /** Loss (or accuracy) paths of a chart SVG: series → epoch → value. */
  const plotted = (svg: string, kind: 'loss' | 'accuracy'): Map<string, Map<number, number>> => {
    const out = new Map<string, Map<number, number>>();
    for (const tag of tags(svg, `class="${kind}"`)) {
      const a = attributes(tag);
      const epochs = (a.get('data-epochs') ?? '').split(' ').map(Number);
      const values = (a.get('data-values') ?? '').split(' ').map(Number);
      out.set(a.get('data-series') ?? '', new Map(epochs.map((e, i) => [e, values[i] ?? Number.NaN])));
    }
    return out;
  };

  const pictureEdit = (sent: SentInteraction, timeoutMs = 10_000): Promise<RecordedRequest> =>
    sent.waitForResponse((r) => r.route === EDIT && r.status === 200 && r.files.length > 0, timeoutMs);

  it('/melody show nabiya answers with the text at once, then attaches the score', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'show', options: { name: 'nabiya' } });
    const callback = await sent.waitForCallback();
    expect(callback.callbackType).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(callback.message?.content).toContain('**nabiya**');
    expect(callback.files).toHaveLength(0);

    const edit = await pictureEdit(sent);
    expect(edit.at).toBeGreaterThanOrEqual(callback.at);
    expect(edit.files.map((f) => f.name)).toEqual(['nabiya-staff.png', 'nabiya.ogg', 'nabiya.mid']);
    expectEmbedded(edit);
    const file = edit.files[0]!;
    expectDrawn(file);
    expect(countPixels(file.data).red).toBe(0);
    const picture = renderedAs(file);
    expect(picture.kind).toBe('staff');
    // The score is 나비야's 54 notes in order, in its 2/4 metre.
    const notes = heads(picture.svg, 'melody');
    expect(notes.map((h) => h.index)).toEqual([...Array(54).keys()]);
    expect(notes.slice(0, 6).map((h) => h.token)).toEqual(['g8', 'e8', 'e4', 'f8', 'd8', 'd4']);
    expect(picture.svg).toContain('나비야 (Butterfly)');
    // The message keeps its text, and now shows the picture.
    const message = sent.original();
    expect(message?.content).toContain('**nabiya**');
    expect(message?.attachments.map((a) => a.filename)).toEqual(['nabiya-staff.png', 'nabiya.ogg', 'nabiya.mid']);
  });

  it('/melody add replies with the parsed notes and then their score', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'add', options: { name: 'scale', notes: 'c4 d4 e4 f4 g4 a4 b4 c5:4 d5:4' } });
    expect((await sent.waitForCallback()).message?.content).toContain('Saved to the songbook');
    const edit = await pictureEdit(sent);
    expect(edit.files.map((f) => f.name)).toEqual(['scale-staff.png']);
    expectDrawn(edit.files[0]!);
    expect(heads(renderedAs(edit.files[0]!).svg, 'melody').map((h) => h.token)).toEqual(['c4', 'd4', 'e4', 'f4', 'g4', 'a4', 'b4', 'c5:4', 'd5:4']);
  });

  it('a training summary carries the loss chart of the job\'s own history and the song against the original', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'train', options: { melody: 'nabiya', model: 'mlp', epochs: 25, until_learned: false } });
    const summary = await sent.waitForResponse((r) => r.route === FOLLOW_UP && r.status === 200, 90_000);
    expect(summary.message?.content).toContain('**mlp** · 25 epochs run');
    expect(summary.files.map((f) => f.name)).toEqual(['nabiya-mlp-loss.png', 'nabiya-mlp-completion.png', 'nabiya-mlp-completion.ogg', 'nabiya-mlp-completion.mid']);
    expectEmbedded(summary);

    const jobId = Number(/job #(\d+)/.exec(summary.message?.content ?? '')?.[1]);
    const job = bot.storage.jobs.get(jobId)!;
    const result = readTrainResult(job.result)!;
    const model = result.models[0]!;
    expect(model.history?.loss).toHaveLength(25);

    // Loss chart: every plotted value is the job's loss (and accuracy) at that epoch.
    const lossFile = summary.files[0]!;
    expectDrawn(lossFile, 0.005);
    const chart = renderedAs(lossFile);
    expect(chart.svg).toContain('나비야 (Butterfly) — mlp');
    const loss = plotted(chart.svg, 'loss').get('mlp')!;
    expect([...loss.keys()]).toEqual([...Array(25).keys()].map((i) => i + 1));
    for (const [epoch, value] of loss) expect(value).toBe(model.history!.loss[epoch - 1]);
    const accuracy = plotted(chart.svg, 'accuracy').get('mlp')!;
    for (const [epoch, value] of accuracy) expect(value).toBe(model.history!.accuracy[epoch - 1]);
    // …which is also what the queue recorded epoch by epoch.
    expect(job.lossHistory.map((p) => p.loss)).toEqual(model.history!.loss);
    expect(chart.svg.includes('class="learned"')).toBe(model.learnedAtEpoch !== null);

    // The song from its first four notes under the original, wrong notes (if any) red and boxed.
    const songFile = summary.files[1]!;
    const pixels = expectDrawn(songFile);
    const song = renderedAs(songFile);
    const predicted = heads(song.svg, 'predicted');
    expect(predicted.map((h) => h.token)).toEqual(model.fullSong.tokens);
    expect(predicted.filter((h) => h.wrong).map((h) => h.index)).toEqual(model.fullSong.wrong.map((w) => w.index));
    expect(heads(song.svg, 'original')).toHaveLength(54);
    expect(pixels.red > 0).toBe(model.fullSong.wrong.length > 0);
  });

  it('/complete carries the comparison with red marks exactly at the wrong notes', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya' } });
    expect((await sent.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const reply = await pictureEdit(sent, 30_000);
    const content = reply.message?.content ?? '';
    expect(content).toContain('**nabiya** · **mlp**');
    expect(reply.files.map((f) => f.name)).toEqual(['nabiya-mlp-completion.png', 'nabiya-mlp-completion.ogg', 'nabiya-mlp-completion.mid']);
    expectEmbedded(reply);

    // The wrong notes as the text marks them: ~~sung~~→**original**, by position in the song.
    const marked = content.split('\n').at(-1)!.split(' ');
    expect(marked).toHaveLength(54);
    const wrongInText = marked.flatMap((token, index) => (token.startsWith('~~') ? [{ index, got: /^~~(.+?)~~/.exec(token)![1] }] : []));
    const record = bot.storage.melodies.get(fake.guild.id, 'nabiya')!;
    const stored = readSummary(bot.storage.models.get(record.id, 'mlp')!.metadata)!;
    expect(wrongInText.map((w) => w.index)).toEqual(stored.fullSong.wrong.map((w) => w.index));
    expect(wrongInText.length).toBeGreaterThan(0); // 25 epochs of mlp do not learn 나비야

    const file = reply.files[0]!;
    const pixels = expectDrawn(file);
    expect(pixels.red).toBeGreaterThan(100);
    const picture = renderedAs(file);
    const predicted = heads(picture.svg, 'predicted');
    expect(predicted.filter((h) => h.wrong).map((h) => ({ index: h.index, got: h.token }))).toEqual(wrongInText);
    // Red boxes around exactly those notes, and nothing red on the original's staff.
    const boxes = tags(picture.svg, 'class="wrong-box"').map((t) => attributes(t));
    expect(boxes.every((a) => a.get('data-voice') === 'predicted')).toBe(true);
    expect([...new Set(boxes.map((a) => Number(a.get('data-index'))))]).toEqual(wrongInText.map((w) => w.index));
    expect(heads(picture.svg, 'original').every((h) => !h.wrong)).toBe(true);
  });

  it('when a picture cannot be drawn, the text still goes (and the failure is logged)', async () => {
    await fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'add', options: { name: 'boom', notes: 'c4 d4 e4 f4 g4 e4 c4 d4' } }).waitForCallback();
    const show = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'show', options: { name: 'boom' } });
    expect((await show.waitForCallback()).message?.content).toContain('**boom**');
    await waitUntil(() => logLines.some((l) => l.includes('could not render a picture') && l.includes('boom-staff.png')), { timeoutMs: 5000, what: 'the render failure in the log' });
    expect(show.responses().filter((r) => r.files.length > 0)).toHaveLength(0);

    // The loss chart fails; the summary goes with the text and the picture that could be drawn.
    const sent = fake.sendInteraction({ kind: 'command', name: 'train', options: { melody: 'boom', model: 'mlp', epochs: 5, until_learned: false } });
    const summary = await sent.waitForResponse((r) => r.route === FOLLOW_UP && r.status === 200, 60_000);
    expect(summary.message?.content).toContain('**mlp** · 5 epochs run');
    expect(summary.files.map((f) => f.name)).toEqual(['boom-mlp-completion.png', 'boom-mlp-completion.ogg', 'boom-mlp-completion.mid']);
    expectEmbedded(summary);
    expect(logLines.some((l) => l.includes('could not render a picture') && l.includes('boom-mlp-loss.png'))).toBe(true);
  });

  it('sends nothing that pings, and only routes Discord has', () => {
    for (const request of fake.requests.filter((r) => r.message !== null && r.status < 300 && r.callbackType !== InteractionResponseType.DeferredChannelMessageWithSource)) {
      expect(request.message?.allowed_mentions?.parse ?? null).toEqual([]);
    }
    expect(fake.unhandled()).toEqual([]);
  });
});

describe('sendWithPictures', () => {
  const picture: RenderedPicture = { name: 'x.png', kind: 'staff', description: 'x', png: new Uint8Array([1, 2, 3]), svg: '<svg/>', width: 1, height: 1 };

  it('sends the text alone when Discord refuses the message for its files, and logs it', async () => {
    const calls: number[] = [];
    const warnings: string[] = [];
    const sent = await sendWithPictures(
      [picture],
      async (extra) => {
        calls.push(extra.files?.length ?? 0);
        if (extra.files) throw Object.assign(new Error('Request entity too large'), { status: 413 });
        return 'sent';
      },
      { warn: (message) => warnings.push(message) },
    );
    expect(sent).toBe('sent');
    expect(calls).toEqual([1, 0]);
    expect(warnings).toHaveLength(1);
  });

  it('does not resend when the failure is not about the pictures', async () => {
    let calls = 0;
    const failing = sendWithPictures([picture], async () => {
      calls++;
      throw Object.assign(new Error('Unknown interaction'), { status: 404 });
    });
    await expect(failing).rejects.toThrow('Unknown interaction');
    expect(calls).toBe(1);
  });
});
