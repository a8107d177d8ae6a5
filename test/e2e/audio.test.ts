import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpusScript } from '../../src/audio/encode.ts';
import { trackNotes } from '../../src/audio/index.ts';
import {
  DISCORD_FILE_LIMIT,
  melodySoundPlan,
  onSoundRendered,
  parsePlayTarget,
  playButtons,
  playCustomId,
  renderSounds,
  sendWithAttachments,
  type RenderedSound,
} from '../../src/bot/attachments.ts';
import { parseCustomId } from '../../src/bot/command.ts';
import { createLogger } from '../../src/bot/logger.ts';
import { startBot, type RunningBot } from '../../src/bot/main.ts';
import { registerCommands } from '../../src/bot/register.ts';
import { loadConfig } from '../../src/config.ts';
import { midiNumber, type MelodyEvent } from '../../src/music/melody.ts';
import { readMidi } from '../../src/music/midi.ts';
import { getSong } from '../../src/music/songbook.ts';
import { formatEvent } from '../../src/music/token.ts';
import { parseToken } from '../../src/music/tokens.ts';
import { readSummary, readTrainResult } from '../../src/training/types.ts';
import { oggPackets, readOggPages } from '../audio/helpers.ts';
import { FakeDiscord, type RecordedFile, type RecordedRequest, type SentInteraction } from './fake-discord/index.ts';

// Sound in Discord replies, end to end with the real bot: /melody show attaches 나비야 as OGG Opus
// and MIDI, /melody export makes WAV/OGG/MP3 files (and refuses a WAV too large for Discord with a
// pointer to ogg), a training summary and /complete attach the completion as OGG + MIDI, and each
// of those messages carries ▶ (play:…) and ⏹ (stop) buttons. Every OGG is checked as a player
// would: its pages' CRCs, then decoded with opusscript and pitch-tracked; the notes heard must be
// the melody's (or the completion's tokens), in order, each within a quarter of a semitone.

const EDIT = 'PATCH /webhooks/:app/:token/messages/:message';
const FOLLOW_UP = 'POST /webhooks/:app/:token';
const NABIYA = getSong('nabiya').melody;
/** A quarter of a semitone. */
const PITCH_TOLERANCE = 2 ** (1 / 48) - 1;

/** Hz of a note, from its MIDI number (written here, not taken from the renderer). */
const hz = (event: MelodyEvent): number => (event.kind === 'note' ? 440 * 2 ** ((midiNumber(event.pitch) - 69) / 12) : 0);

/** Checks the pages (capture pattern, CRC, sequence) and decodes the Opus packets as a player does. */
function decodeOgg(data: Uint8Array): Float32Array {
  // A plain Uint8Array: the page reader's slice() must copy (a Buffer's slice is a view).
  const pages = readOggPages(Uint8Array.from(data));
  for (const [i, page] of pages.entries()) {
    expect(page.crcComputed, `page ${i} CRC`).toBe(page.crcStored);
    expect(page.sequence).toBe(i);
  }
  expect(pages[0]!.flags & 2).toBe(2); // beginning of stream
  expect(pages.at(-1)!.flags & 4).toBe(4); // end of stream
  const [head, tags, ...audio] = oggPackets(pages);
  expect(new TextDecoder().decode(head!.subarray(0, 8))).toBe('OpusHead');
  expect(new TextDecoder().decode(tags!.subarray(0, 8))).toBe('OpusTags');
  const channels = head![9]!;
  const preSkip = new DataView(head!.buffer, head!.byteOffset).getUint16(10, true);
  const decoder = new OpusScript(48_000, channels);
  const pcm: number[] = [];
  try {
    for (const packet of audio) {
      const out = decoder.decode(Buffer.from(packet));
      for (let i = 0; i < out.length / 2; i += channels) pcm.push(out.readInt16LE(i * 2) / 32768);
    }
  } finally {
    decoder.delete();
  }
  return Float32Array.from(pcm.slice(preSkip, Number(pages.at(-1)!.granule)));
}

/** The notes heard in an OGG file, as frequencies. */
const heardFrequencies = (file: RecordedFile): number[] => trackNotes(decodeOgg(file.data), 48_000).map((n) => n.frequency);

/** Every heard note within PITCH_TOLERANCE of the expected one, same count. */
function expectPitches(heard: readonly number[], expected: readonly MelodyEvent[]): void {
  const want = expected.filter((e) => e.kind === 'note').map(hz);
  expect(heard).toHaveLength(want.length);
  const off = heard.flatMap((f, i) => (Math.abs(f / want[i]! - 1) > PITCH_TOLERANCE ? [`note ${i}: heard ${f.toFixed(1)} Hz, expected ${want[i]!.toFixed(1)} Hz`] : []));
  expect(off).toEqual([]);
}

/** The custom ids of a message's buttons. */
function buttonIds(request: RecordedRequest | undefined): string[] {
  const rows = (request?.message?.components ?? []) as { components?: { custom_id?: string }[] }[];
  return rows.flatMap((row) => (row.components ?? []).map((b) => b.custom_id ?? ''));
}

describe('sound in replies', () => {
  let fake: FakeDiscord;
  let bot: RunningBot;
  let dataDir: string;
  const logLines: string[] = [];
  const sounds: RenderedSound[] = [];
  let unsubscribe: () => void = () => {};

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-e2e-audio-'));
    unsubscribe = onSoundRendered((sound) => sounds.push(sound));
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

  const fileEdit = (sent: SentInteraction, timeoutMs = 15_000): Promise<RecordedRequest> =>
    sent.waitForResponse((r) => r.route === EDIT && r.status === 200 && r.files.length > 0, timeoutMs);

  it('/melody show nabiya answers with ▶/⏹ at once, then attaches 나비야 as OGG Opus and MIDI', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'show', options: { name: 'nabiya' } });
    const callback = await sent.waitForCallback();
    expect(callback.callbackType).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(callback.files).toHaveLength(0);
    expect(buttonIds(callback)).toEqual(['play:melody:nabiya', 'stop']);

    const edit = await fileEdit(sent);
    expect(edit.files.map((f) => f.name)).toEqual(['nabiya-staff.png', 'nabiya.ogg', 'nabiya.mid']);
    // The picture is an embed; the sounds are plain attachments Discord shows as players.
    expect(edit.message?.embeds?.map((e) => e.image?.url)).toEqual(['attachment://nabiya-staff.png']);
    const ogg = edit.files[1]!;
    expect(ogg.contentType).toMatch(/ogg$/);
    const heard = heardFrequencies(ogg);
    // The first 12 notes, spelled out: g e e f d d c d e f g g.
    const first12 = 'g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8'.split(' ').map((t) => hz(parseToken(t)));
    expect(heard.slice(0, 12).map((f, i) => Math.abs(f / first12[i]! - 1) <= PITCH_TOLERANCE)).toEqual(Array(12).fill(true));
    expectPitches(heard, NABIYA.events);

    const midi = readMidi(edit.files[2]!.data);
    expect(midi.events.map(formatEvent)).toEqual(NABIYA.events.map(formatEvent));
    const message = sent.original();
    expect(message?.attachments.map((a) => a.filename)).toEqual(['nabiya-staff.png', 'nabiya.ogg', 'nabiya.mid']);
    expect(message?.content).toContain('**nabiya**');
  });

  it('/melody export nabiya format:wav is a 16-bit WAV as long as the melody', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'export', options: { name: 'nabiya', format: 'wav' } });
    expect((await sent.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const edit = await fileEdit(sent);
    expect(edit.files.map((f) => f.name)).toEqual(['nabiya.wav']);
    const wav = edit.files[0]!.data;
    const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
    const rate = view.getUint32(24, true);
    const bits = view.getUint16(34, true);
    const channels = view.getUint16(22, true);
    expect(bits).toBe(16);
    const seconds = view.getUint32(40, true) / (rate * channels * 2);
    // 나비야: 54 notes, 27 quarter notes' worth at its tempo, plus the release tail.
    const quarters = NABIYA.events.reduce((sum, e) => sum + (4 / e.duration.value) * (e.duration.dotted ? 1.5 : 1), 0);
    const tempo = NABIYA.tempo ?? 120;
    expect(seconds).toBeGreaterThanOrEqual((quarters * 60) / tempo);
    expect(seconds).toBeLessThan((quarters * 60) / tempo + 1);
    expect(edit.message?.content).toContain('as WAV');
  });

  it('/melody export as ogg and mp3 too; a WAV too large for Discord is refused with a pointer to ogg', async () => {
    const ogg = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'export', options: { name: 'nabiya', format: 'ogg' } });
    const oggEdit = await fileEdit(ogg);
    expect(oggEdit.files.map((f) => f.name)).toEqual(['nabiya.ogg']);
    expectPitches(heardFrequencies(oggEdit.files[0]!), NABIYA.events);
    const mp3 = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'export', options: { name: 'nabiya', format: 'mp3' } });
    const mp3Edit = await fileEdit(mp3);
    expect(mp3Edit.files.map((f) => f.name)).toEqual(['nabiya.mp3']);
    expect(mp3Edit.files[0]!.data[0]).toBe(0xff);

    // 60 whole notes at 120 bpm: two minutes, 11 MiB as WAV.
    const long = Array.from({ length: 60 }, (_, i) => ['c1', 'e1', 'g1'][i % 3]).join(' ');
    await fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'add', options: { name: 'long', notes: long } }).waitForCallback();
    const wav = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'export', options: { name: 'long', format: 'wav' } });
    const refusal = await wav.waitForCallback();
    expect(refusal.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(refusal.message?.content).toMatch(/MiB.*Discord takes files up to 8\.0 MiB.*`ogg`/);
    expect(refusal.files).toHaveLength(0);
  });

  let jobId = 0;

  it('a training summary carries the completion as OGG + MIDI whose notes are its tokens, with ▶/⏹', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'train', options: { melody: 'nabiya', model: 'mlp', epochs: 5, until_learned: false } });
    const summary = await sent.waitForResponse((r) => r.route === FOLLOW_UP && r.status === 200, 90_000);
    jobId = Number(/job #(\d+)/.exec(summary.message?.content ?? '')?.[1]);
    const model = readTrainResult(bot.storage.jobs.get(jobId)!.result)!.models[0]!;
    expect(summary.files.map((f) => f.name)).toEqual(['nabiya-mlp-loss.png', 'nabiya-mlp-completion.png', 'nabiya-mlp-completion.ogg', 'nabiya-mlp-completion.mid']);
    expect(summary.message?.embeds?.map((e) => e.image?.url)).toEqual(['attachment://nabiya-mlp-loss.png', 'attachment://nabiya-mlp-completion.png']);
    expect(buttonIds(summary)).toEqual([`play:completion:job:${jobId}:mlp`, 'stop']);
    expect(parsePlayTarget(parseCustomId(buttonIds(summary)[0]!).args)).toEqual({ kind: 'job', jobId, model: 'mlp' });

    const tokens = model.fullSong.tokens;
    expect(tokens.length).toBeGreaterThan(model.window);
    expectPitches(heardFrequencies(summary.files[2]!), tokens.map(parseToken));
    expect(readMidi(summary.files[3]!.data).events.map(formatEvent)).toEqual(tokens);
  }, 120_000);

  it('/complete carries the completion as OGG + MIDI of its tokens, with ▶ naming the model and the request', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya', start: '3', length: 20, temperature: 0.5, seed: 7 } });
    expect((await sent.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const reply = await fileEdit(sent, 60_000);
    expect(reply.files.map((f) => f.name)).toEqual(['nabiya-mlp-completion.png', 'nabiya-mlp-completion.ogg', 'nabiya-mlp-completion.mid']);
    const record = bot.storage.melodies.get(fake.guild.id, 'nabiya')!;
    const trained = bot.storage.models.get(record.id, 'mlp')!;
    expect(readSummary(trained.metadata)).not.toBeNull();
    const ids = buttonIds(reply);
    expect(ids).toEqual([`play:completion:model:${trained.id}:2:20:0.5:7`, 'stop']);
    expect(parsePlayTarget(parseCustomId(ids[0]!).args)).toEqual({ kind: 'model', modelId: trained.id, start: 2, length: 20, temperature: 0.5, seed: 7 });

    // The tokens the text shows (start notes + 20 sung), as the MIDI and the sound have them.
    const midi = readMidi(reply.files[2]!.data).events.map(formatEvent);
    expect(midi).toHaveLength(4 + 20);
    const shown = (reply.message?.content ?? '').split('\n').at(-1)!.split(' ').map((t) => t.replace(/^~~(.+?)~~.*$/, '$1').replace(/\*/g, ''));
    expect(shown).toEqual(midi);
    expectPitches(heardFrequencies(reply.files[1]!), midi.map(parseToken));
    expect(sounds.some((s) => s.name === 'nabiya-mlp-completion.ogg' && s.melody.events.map(formatEvent).join(' ') === midi.join(' '))).toBe(true);
  }, 90_000);

  it('/complete play:true answers, then says privately why it cannot play (not in a voice channel)', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'complete', options: { melody: 'nabiya', play: true } });
    const reply = await fileEdit(sent, 60_000);
    expect(reply.files.map((f) => f.name)).toContain('nabiya-mlp-completion.ogg');
    const followUp = await sent.waitForResponse((r) => r.route === FOLLOW_UP && r.status === 200, 30_000);
    expect(followUp.message?.flags).toBe(MessageFlags.Ephemeral);
    // The voice module (src/voice) was found and refused: alice is in no voice channel.
    expect(followUp.message?.content).toMatch(/^🔇 Cannot play it in voice: .*voice channel/);
  }, 90_000);

  it('sends nothing that pings, and only routes Discord has', () => {
    for (const request of fake.requests.filter((r) => r.message !== null && r.status < 300 && r.callbackType !== InteractionResponseType.DeferredChannelMessageWithSource)) {
      expect(request.message?.allowed_mentions?.parse ?? null).toEqual([]);
    }
    expect(fake.unhandled()).toEqual([]);
  });
});

describe('buttons and sending', () => {
  it('keeps custom ids within 100 characters: a ▶ that cannot fit is left out, ⏹ stays', () => {
    const name = 'x'.repeat(100);
    expect(playCustomId({ kind: 'melody', name })).toBeNull();
    const row = playButtons({ kind: 'melody', name });
    expect(row.components.map((b) => b.custom_id)).toEqual(['stop']);
    const own = { kind: 'model', modelId: 12, start: ['c5:4', 'd8', 'e8.', 'r4'], length: null, temperature: 0, seed: 0 } as const;
    const id = playCustomId(own)!;
    expect(id).toBe('play:completion:model:12:c5=4 d8 e8. r4::0:0');
    expect(parsePlayTarget(parseCustomId(id).args)).toEqual(own);
    for (const b of playButtons(own, { kind: 'melody', name: 'nabiya' }).components) expect(b.custom_id.length).toBeLessThanOrEqual(100);
  });

  it('a melody too long to render gets a line saying so, and its MIDI still', async () => {
    const events = Array.from({ length: 310 }, () => parseToken('c1')); // 310 whole notes at 120 bpm: over 10 minutes
    const rendered = await renderSounds([melodySoundPlan('verylong', { events })]);
    expect(rendered.files.map((f) => f.name)).toEqual(['verylong.mid']);
    expect(rendered.notes).toHaveLength(1);
    expect(rendered.notes[0]).toMatch(/^🔇 No audio: this melody lasts .* at most 10/);
    // …and a file over Discord's limit is left out with the reason (here, a 1 KiB limit).
    const small = await renderSounds([melodySoundPlan('nabiya', NABIYA, { format: 'wav' })], undefined, 1024);
    expect(small.files.map((f) => f.name)).toEqual(['nabiya.mid']);
    expect(small.notes[0]).toMatch(/WAV file would be 1\.\d MiB; Discord takes files up to 1 KiB — export it as `ogg`/);
  });

  it('sends the text with the pictures alone, then the text alone, when Discord refuses the files', async () => {
    const sound: RenderedSound = { name: 'x.ogg', kind: 'audio', format: 'ogg', mime: 'audio/ogg', description: 'x', bytes: new Uint8Array(DISCORD_FILE_LIMIT + 1), melody: NABIYA };
    const calls: number[] = [];
    const sent = await sendWithAttachments([], [sound], async (extra) => {
      calls.push(extra.files?.length ?? 0);
      if (extra.files?.length) throw Object.assign(new Error('Request entity too large'), { status: 413 });
      return 'sent';
    });
    expect(sent).toBe('sent');
    expect(calls).toEqual([1, 0]);
  });
});
