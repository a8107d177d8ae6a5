import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InteractionResponseType, MessageFlags, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/bot/logger.ts';
import { startBot, type RunningBot, type StartBotOptions } from '../../src/bot/main.ts';
import { registerCommands } from '../../src/bot/register.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { onPictureRendered, type RenderedPicture } from '../../src/bot/attachments.ts';
import { readTrainProgress, readTrainResult } from '../../src/training/types.ts';
import { attributes, pngSize, tags } from '../pictures/png.ts';
import { FakeDiscord, waitUntil, type RecordedFile, type RecordedRequest, type SentInteraction } from './fake-discord/index.ts';

// Training end to end: the real bot (queue → worker threads → publisher) against the fake Discord.
// /train with its one progress message and the loss summary, model:all, /complete, /jobs and
// /cancel with permissions and queue positions, the interaction token expiring mid-job, and a
// restart in the middle of a job. Runs are tiny (mlp, tens of epochs) to stay quick on 2 cores.
// Summaries carry pictures (test/e2e/pictures.test.ts checks them closely); here: which ones, on
// every path (webhook, channel after the token expired, after a restart), and model:all's chart.

const EDIT = 'PATCH /webhooks/:app/:token/messages/:message';
const FOLLOW_UP = 'POST /webhooks/:app/:token';

describe('training through Discord', () => {
  let fake: FakeDiscord;
  let bot: RunningBot;
  let config: Config;
  let dataDir: string;
  const logLines: string[] = [];
  const options: StartBotOptions = { logger: createLogger({ level: 'debug', sink: (line) => logLines.push(line) }), readyTimeoutMs: 10_000, training: { checkpointEvery: 5 } };
  const rendered: RenderedPicture[] = [];
  const stopWatching = onPictureRendered((picture) => rendered.push(picture));
  /** The SVG of the picture the bot rendered as this attachment (same bytes). */
  const svgOf = (file: RecordedFile): string => {
    const picture = rendered.find((p) => p.name === file.name && Buffer.from(p.png).equals(file.data));
    if (!picture) throw new Error(`no rendered picture is the attachment ${file.name}`);
    expect(pngSize(file.data).width).toBe(1200);
    // Left for a person to look at, beside pictures.test.ts's.
    fs.mkdirSync(path.join(os.tmpdir(), 'nabi-e2e-pictures'), { recursive: true });
    fs.writeFileSync(path.join(os.tmpdir(), 'nabi-e2e-pictures', file.name), file.data);
    return picture.svg;
  };
  /** Epochs plotted on each loss curve of a chart. */
  const lossCurves = (svg: string): Map<string, number[]> =>
    new Map(tags(svg, 'class="loss"').map((tag) => attributes(tag)).map((a) => [a.get('data-series') ?? '', (a.get('data-epochs') ?? '').split(' ').map(Number)]));

  // These tests watch a job's progress message being edited (at most every 2 s), its token expire
  // and the bot restart mid-job: that needs jobs that run for seconds. The fast engine trains
  // these tiny runs in well under a second, so this bot trains with tf.js, the reference engine,
  // unless a /train asks for the fast one (NABI_ENGINE below). test/fast covers the fast engine.
  beforeAll(async () => {
    fake = await FakeDiscord.start({
      guilds: [
        {
          members: [{ username: 'alice' }, { username: 'bob', permissions: PermissionFlagsBits.ManageGuild }, { username: 'carol' }],
          ownerUsername: 'bob',
        },
      ],
    });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-e2e-training-'));
    config = loadConfig(fake.env({ DATA_DIR: dataDir, TRAIN_WORKERS: '1', MAX_JOBS_PER_MEMBER: '3', NABI_ENGINE: 'tfjs' }));
    await registerCommands(config);
    bot = await startBot(config, options);
  });

  afterAll(async () => {
    stopWatching();
    await bot?.stop();
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const train = (opts: Record<string, string | number | boolean>, member = 'alice'): SentInteraction =>
    fake.sendInteraction({ kind: 'command', name: 'train', member, options: opts });
  const edits = (sent: SentInteraction): RecordedRequest[] => sent.responses().filter((r) => r.route === EDIT && r.status === 200);
  const summaryOf = (sent: SentInteraction, timeoutMs = 60_000): Promise<RecordedRequest> =>
    sent.waitForResponse((r) => r.route === FOLLOW_UP && r.status === 200, timeoutMs);
  const jobIdOf = async (sent: SentInteraction): Promise<number> =>
    Number(await waitUntil(() => /\*\*Job #(\d+)\*\*/.exec(sent.original()?.content ?? '')?.[1], { timeoutMs: 10_000, what: 'the job id in the reply' }));

  it('trains 나비야 (built in, never added): deferred reply, one progress message edited at most every 2 s, then the loss summary', async () => {
    const sent = train({ melody: 'nabiya', model: 'mlp', epochs: 300, until_learned: false });
    const callback = await sent.waitForCallback();
    expect(callback.callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const id = await jobIdOf(sent);

    const summary = await summaryOf(sent);
    const content = summary.message?.content ?? '';
    expect(content).toContain('**nabiya**');
    expect(content).toContain(`job #${id}`);
    expect(content).toMatch(/\*\*mlp\*\* · 300 epochs run · (not sung back exactly yet|learned at epoch \d+)/);
    expect(content).toMatch(/final loss \d\.\d{4} · train accuracy \d+\.\d\d% · training \d+s on tf\.js \(wasm\)/);
    expect(content).toContain('Sung from its first 4 notes (*italics*)');
    expect(content).toContain('*g8* *e8* *e4* *f8*');
    expect(content.length).toBeLessThanOrEqual(2000);
    // Pictures, then the song as sound (OGG + MIDI), and ▶/⏹ for it (test/e2e/audio.test.ts checks the sound).
    expect(summary.files.map((f) => f.name)).toEqual(['nabiya-mlp-loss.png', 'nabiya-mlp-completion.png', 'nabiya-mlp-completion.ogg', 'nabiya-mlp-completion.mid']);
    expect(summary.message?.components).toMatchObject([{ type: 1, components: [{ custom_id: `play:completion:job:${id}:mlp` }, { custom_id: 'stop' }] }]);

    const progress = edits(sent);
    expect(progress[0]?.message?.content).toContain(`**Job #${id}** · **nabiya** · mlp · up to 300 epochs`);
    expect(progress.some((r) => /`[█░]{20}` \d+% · epoch \d+\/300 · loss \d\.\d{4} · accuracy \d+\.\d% · ETA/.test(r.message?.content ?? ''))).toBe(true);
    expect(progress.at(-1)?.message?.content).toMatch(/✅ mlp — 300 epochs[\s\S]*Done · \d+s from request to result · summary below/);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(1990); // 2 s, less timer rounding
    // One reply, one summary: nothing else was posted for this job.
    expect(fake.messages(fake.guild.textChannel.id).filter((m) => m.content.includes(`#${id}`))).toHaveLength(2);

    const record = bot.storage.melodies.get(fake.guild.id, 'nabiya');
    expect(record?.ownerId).toBe('built-in');
    expect(bot.storage.models.get(record!.id, 'mlp')?.metadata).toMatchObject({ epochs: 300 });
  });

  it('/complete sings it from a trained model, wrong notes marked, with both accuracies', async () => {
    const models = await fake
      .sendInteraction({ kind: 'autocomplete', name: 'complete', options: { melody: 'nabiya', model: '' }, focused: 'model' })
      .waitForCallback();
    expect(models.choices?.map((c) => c.value)).toEqual(['mlp']);
    expect(models.choices?.[0]?.name).toMatch(/^mlp \(300 epochs · full song \d+%\)$/);
    const melodies = await fake.sendInteraction({ kind: 'autocomplete', name: 'complete', options: { melody: '' }, focused: 'melody' }).waitForCallback();
    expect(melodies.choices?.[0]?.value).toBe('nabiya');

    const sent = fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya' } });
    expect((await sent.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const reply = await sent.waitForResponse((r) => r.route === EDIT, 30_000);
    const content = reply.message?.content ?? '';
    expect(content).toContain('**nabiya** · **mlp** (300 epochs');
    expect(content).toContain('from its first 4 notes');
    expect(content).toMatch(/Against the original: \d+\.\d\d% right/);
    expect(content).toMatch(/one-step accuracy \d+\.\d\d%/);
    expect(content).toContain('*g8* *e8* *e4* *f8*');
    if (!content.includes('exactly the original')) expect(content).toMatch(/~~[a-g]\d+~~→\*\*[a-g]\d+\*\*/);

    const own = fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya', start: 'e8 e8 e4 f8', length: 8 } });
    const ownReply = await own.waitForResponse((r) => r.route === EDIT, 30_000);
    expect(ownReply.message?.content).toContain('from your start notes');
    expect(ownReply.message?.content).toContain('*e8* *e8* *e4* *f8*');

    const badStart = await fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya', start: 'c16 c16 c16 c16' } }).waitForCallback();
    expect(badStart.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(badStart.message?.content).toMatch(/not in this model's vocabulary/);
    const badNote = await fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya', start: 'g8 e8 q4 f8' } }).waitForCallback();
    expect(badNote.message?.content).toMatch(/token 3 `q4`/);
    const untrained = await fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'twinkle' } }).waitForCallback();
    expect(untrained.message?.content).toMatch(/has no trained model yet/);
  });

  it('model:all trains the four models in one job and summarises them side by side', async () => {
    await fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'add', member: 'bob', options: { name: 'tiny', notes: 'c4 d4 e4 f4 g4 e4 c4 d4' } }).waitForCallback();
    const sent = train({ melody: 'tiny', model: 'all', epochs: 3, until_learned: false }, 'bob');
    const summary = await summaryOf(sent, 90_000);
    const content = summary.message?.content ?? '';
    expect(content).toMatch(/```\nmodel +epochs +learned +loss +accuracy +full song +time\n/);
    for (const model of ['mlp', 'lstm', 'stateful', 'stateful-2f']) {
      expect(content).toMatch(new RegExp(`\\n${model} +3 `));
      expect(content).toContain(`**${model}** *c4* *d4* *e4* *f4*`);
    }
    expect(edits(sent).at(-1)?.message?.content).toMatch(/✅ mlp — 3 epochs[\s\S]*✅ lstm[\s\S]*✅ stateful —[\s\S]*✅ stateful-2f/);

    // One chart with the four loss curves and a legend, as the tutorial's last figure; then each song.
    const models = ['mlp', 'lstm', 'stateful', 'stateful-2f'];
    expect(summary.files.map((f) => f.name)).toEqual(['tiny-all-loss.png', ...models.map((m) => `tiny-${m}-completion.png`)]);
    expect(summary.message?.embeds).toHaveLength(5);
    // 5 pictures and 8 sound files do not fit in one message (10 files): the sounds follow, with a ▶ per model and ⏹.
    const jobId = Number(/job #(\d+)/.exec(content)?.[1]);
    const heard = await sent.waitForResponse((r) => r.route === 'POST /webhooks/:app/:token' && r.status === 200 && r.files.some((f) => f.name.endsWith('.ogg')), 30_000);
    expect(heard.files.map((f) => f.name)).toEqual(models.flatMap((m) => [`tiny-${m}-completion.ogg`, `tiny-${m}-completion.mid`]));
    const buttons = (heard.message?.components as { components: { custom_id: string; label?: string }[] }[] | undefined)?.[0]?.components ?? [];
    expect(buttons.map((b) => b.custom_id)).toEqual([...models.map((m) => `play:completion:job:${jobId}:${m}`), 'stop']);
    expect(buttons.map((b) => b.label)).toEqual([...models.map((m) => `Play ${m}`), 'Stop']);
    const chart = svgOf(summary.files[0]!);
    expect([...lossCurves(chart)]).toEqual(models.map((m) => [m, [1, 2, 3]]));
    expect(tags(chart, 'class="legend-entry"').map((t) => attributes(t).get('data-series'))).toEqual(models);
    expect(tags(chart, 'class="accuracy"')).toHaveLength(0);
    expect(chart).toContain('tiny — the tutorial&#39;s four models');
  });

  it('/jobs shows the queue, /cancel stops one\'s own job, and only Manage Server may cancel another\'s', async () => {
    const long = train({ melody: 'nabiya', model: 'mlp', epochs: 3000, until_learned: false }, 'alice');
    const longId = await jobIdOf(long);
    await waitUntil(() => /epoch \d+\/3000/.test(long.original()?.content ?? ''), { timeoutMs: 20_000, what: 'the long job to show progress' });
    // (this member picks the fast engine for her job, over the bot's default)
    const waiting = train({ melody: 'twinkle', model: 'mlp', epochs: 5, until_learned: false, engine: 'fast' }, 'carol');
    const waitingId = await jobIdOf(waiting);
    await waitUntil(() => /Queued — position 1 in the queue/.test(waiting.original()?.content ?? ''), { timeoutMs: 10_000, what: 'queue position' });

    const jobs = await fake.sendInteraction({ kind: 'command', name: 'jobs', member: 'carol' }).waitForCallback();
    expect(jobs.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(jobs.message?.content).toMatch(/1 running, 1 waiting/);
    expect(jobs.message?.content).toContain(`**#${longId}** **nabiya** · mlp`);
    expect(jobs.message?.content).toMatch(new RegExp(`\\*\\*#${waitingId}\\*\\* \\*\\*twinkle\\*\\* · mlp · <@\\d+> · waiting · position 1`));

    const refused = await fake.sendInteraction({ kind: 'command', name: 'cancel', member: 'carol', options: { job: String(longId) } }).waitForCallback();
    expect(refused.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(refused.message?.content).toMatch(/only they or a member with Manage Server can cancel it/);
    const carolChoices = await fake.sendInteraction({ kind: 'autocomplete', name: 'cancel', member: 'carol', options: { job: '' }, focused: 'job' }).waitForCallback();
    expect(carolChoices.choices?.map((c) => c.value)).toEqual([String(waitingId)]);
    const bobChoices = await fake.sendInteraction({ kind: 'autocomplete', name: 'cancel', member: 'bob', options: { job: '' }, focused: 'job' }).waitForCallback();
    expect(bobChoices.choices?.map((c) => c.value).sort()).toEqual([String(longId), String(waitingId)].sort());

    const cancelled = await fake.sendInteraction({ kind: 'command', name: 'cancel', member: 'alice', options: { job: `#${longId}` } }).waitForCallback();
    expect(cancelled.message?.content).toMatch(new RegExp(`Stopping job #${longId}`));
    await waitUntil(() => /🚫 Cancelled at epoch \d+\/3000/.test(long.original()?.content ?? ''), {
      timeoutMs: 15_000,
      what: 'the cancelled progress message',
      describe: () => `${long.original()?.content}\n${JSON.stringify(bot.storage.jobs.get(longId)?.state)}\n${logLines.slice(-30).join('\n')}`,
    });
    expect(bot.storage.jobs.get(longId)?.state).toBe('cancelled');

    // The waiting job moves up and runs.
    const summary = await summaryOf(waiting);
    expect(summary.message?.content).toContain('**twinkle**');
    expect(summary.message?.content).toMatch(/training \S+ on the fast engine ·/);
    const none = await fake.sendInteraction({ kind: 'command', name: 'cancel', member: 'alice', options: { job: '99999' } }).waitForCallback();
    expect(none.message?.content).toBe('There is no job #99999 in this server. See /jobs.');
  });

  it('when the interaction token expires mid-job, progress and summary go on as channel messages', async () => {
    const sent = train({ melody: 'nabiya', model: 'mlp', epochs: 600, until_learned: false }, 'bob');
    const id = await jobIdOf(sent);
    await sent.waitForResponse((r) => r.route === EDIT && /epoch \d+\/600/.test(r.message?.content ?? ''), 30_000);
    sent.expireToken();
    const original = sent.original();
    const channelEdit = await fake.waitForRoute('PATCH /channels/:channel/messages/:message', (r) => (r.message?.content ?? '').includes(`**Job #${id}**`), 30_000);
    expect(channelEdit.params.message).toBe(original?.id);
    expect(channelEdit.status).toBe(200);
    const summary = await fake.waitForRoute('POST /channels/:channel/messages', (r) => (r.message?.content ?? '').includes(`job #${id}`), 60_000);
    expect(summary.message?.content).toContain('**mlp** · 600 epochs run');
    expect(summary.message?.allowed_mentions).toEqual({ parse: [] });
    expect(summary.files.map((f) => f.name)).toEqual(['nabiya-mlp-loss.png', 'nabiya-mlp-completion.png', 'nabiya-mlp-completion.ogg', 'nabiya-mlp-completion.mid']);
    expect(summary.message?.embeds?.map((e) => e.image?.url)).toEqual(['attachment://nabiya-mlp-loss.png', 'attachment://nabiya-mlp-completion.png']);
    expect(bot.storage.jobs.get(id)?.interactionToken).toBeNull();
    expect(fake.message(original!.id)?.message.content).toMatch(/Done · .* summary below/);
  });

  it('a job interrupted by a restart resumes from its checkpoint and finishes', async () => {
    const sent = train({ melody: 'nabiya', model: 'mlp', epochs: 400, until_learned: false }, 'carol');
    const id = await jobIdOf(sent);
    await waitUntil(() => (readTrainProgress(bot.storage.jobs.get(id)?.progress ?? null)?.epoch ?? 0) >= 12, { timeoutMs: 60_000, what: 'epoch 12' });
    await bot.stop();
    expect(bot.storage.isOpen).toBe(false);
    expect(sent.original()?.content).toMatch(/⏸ Paused while the bot restarted \(mlp, last at epoch \d+\)/);

    bot = await startBot(config, options);
    const resumedAt: number[] = [];
    bot.queue.on('progress', ({ job, progress }) => {
      if (job.id === id) resumedAt.push(readTrainProgress(progress)?.epoch ?? 0);
    });
    const summary = await summaryOf(sent);
    expect(summary.message?.content).toContain('**mlp** · 400 epochs run');
    expect(resumedAt[0]).toBeGreaterThan(5);
    expect(resumedAt.at(-1)).toBe(400);
    expect(bot.storage.jobs.get(id)).toMatchObject({ state: 'done', attempts: 2 });
    // The loss chart covers the whole run, the epochs before the restart included.
    const history = readTrainResult(bot.storage.jobs.get(id)!.result)!.models[0]!.history!;
    expect(history.loss).toHaveLength(400);
    expect(lossCurves(svgOf(summary.files[0]!)).get('mlp')).toEqual([...Array(400).keys()].map((i) => i + 1));
    expect(fs.existsSync(path.join(dataDir, 'checkpoints', `job-${id}`))).toBe(false);
  });

  it('no message pings anyone, and only routes Discord has were used', () => {
    const sent = fake.requests.filter((r) => r.message !== null && r.status < 300 && r.callbackType !== InteractionResponseType.DeferredChannelMessageWithSource);
    expect(sent.length).toBeGreaterThan(20);
    for (const request of sent) expect(request.message?.allowed_mentions?.parse ?? null).toEqual([]);
    expect(fake.unhandled()).toEqual([]);
  });
});
