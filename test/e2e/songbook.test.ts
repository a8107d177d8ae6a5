import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InteractionResponseType, MessageFlags, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/bot/logger.ts';
import { startBot, type RunningBot } from '../../src/bot/main.ts';
import { registerCommands } from '../../src/bot/register.ts';
import { loadConfig } from '../../src/config.ts';
import { parseAbc } from '../../src/music/abc.ts';
import { readMidi, writeMidi } from '../../src/music/midi.ts';
import { getSong } from '../../src/music/songbook.ts';
import { formatTokens } from '../../src/music/tokens.ts';
import { pngSize } from '../pictures/png.ts';
import { FakeDiscord, type RecordedRequest } from './fake-discord/index.ts';

// /melody against the fake Discord with the real client: adding by text and by MIDI attachment,
// the specific error for a bad note, names and limits, list/show/export, autocomplete (with the
// built-in songs), and who may delete what. No training here (see training.test.ts).

const NABIYA = formatTokens(getSong('nabiya').melody);

describe('/melody', () => {
  let fake: FakeDiscord;
  let bot: RunningBot;
  let dataDir: string;

  beforeAll(async () => {
    fake = await FakeDiscord.start({
      guilds: [
        {
          members: [{ username: 'alice' }, { username: 'bob', permissions: PermissionFlagsBits.ManageGuild }, { username: 'carol' }],
          ownerUsername: 'bob',
        },
      ],
    });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-e2e-songbook-'));
    const config = loadConfig(fake.env({ DATA_DIR: dataDir, TRAIN_WORKERS: '1', MAX_MELODIES_PER_GUILD: '6' }));
    await registerCommands(config);
    bot = await startBot(config, { logger: createLogger({ level: 'silent' }), readyTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const melody = async (subcommand: string, options: Record<string, unknown>, member = 'alice'): Promise<RecordedRequest> =>
    fake.sendInteraction({ kind: 'command', name: 'melody', subcommand, member, options: options as never }).waitForCallback();

  it('registers all the bot commands', () => {
    const names = fake.registeredCommands(fake.guild.id).map((c) => c.name).sort();
    expect(names).toEqual(['cancel', 'complete', 'help', 'jobs', 'melody', 'play', 'stop', 'train']);
  });

  it('adds 나비야 from the tutorial codes and shows it back: count, range, notes', async () => {
    const callback = await melody('add', { name: 'nabiya', notes: NABIYA });
    expect(callback.callbackType).toBe(InteractionResponseType.ChannelMessageWithSource);
    const message = callback.message!;
    expect(message.flags ?? 0).toBe(0);
    expect(message.content).toContain('**nabiya**');
    expect(message.content).toContain('54 notes');
    expect(message.content).toContain('range C4–G4');
    expect(message.content).toContain('`g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4');
    expect(message.content).toContain('/train melody:nabiya');
  });

  it('adds a melody from a MIDI attachment downloaded from the attachment URL', async () => {
    const midi = writeMidi(getSong('nabiya').melody);
    const callback = await melody('add', { name: '나비야 midi', file: { filename: 'nabiya.mid', data: midi, contentType: 'audio/midi' } });
    expect(callback.message?.content).toContain('from a MIDI file');
    expect(callback.message?.content).toContain('54 notes');
    expect(fake.requests.some((r) => r.route === 'GET /attachments/:channel/:attachment/:filename' && r.status === 200)).toBe(true);
    const stored = bot.storage.melodies.get(fake.guild.id, '나비야 midi');
    expect(stored?.notes).toBe(NABIYA);
    expect(stored?.sourceKind).toBe('midi');
  });

  it('a bad note gets a private error that names the token, its place and what is allowed', async () => {
    const callback = await melody('add', { name: 'oops', notes: 'g8 e8 x4 f8' });
    expect(callback.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(callback.message?.content).toMatch(/token 3 `x4`/);
    expect(callback.message?.content).toMatch(/pitches are a–g/);
    expect(bot.storage.melodies.get(fake.guild.id, 'oops')).toBeNull();

    const bad = await melody('add', { name: 'midi-bad', file: { filename: 'bad.mid', data: 'not a midi file' } });
    expect(bad.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(bad.message?.content).toMatch(/Could not read the notes in the file `bad.mid`/);
  });

  it('refuses bad names, duplicates, missing notes, and a full songbook, each with its reason', async () => {
    const name = await melody('add', { name: '<@&1> ping', notes: 'c4' });
    expect(name.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(name.message?.content).toMatch(/is not a usable melody name/);
    expect((await melody('add', { name: 'x'.repeat(41), notes: 'c4' })).message?.content).toMatch(/at most 40 characters/);
    expect((await melody('add', { name: 'NABIYA', notes: 'c4' })).message?.content).toMatch(/already has a melody named \*\*nabiya\*\*/i);
    expect((await melody('add', { name: 'empty' })).message?.content).toMatch(/Give the notes as text/);

    // 2 melodies so far; the limit in this test is 6.
    for (const n of ['s3', 's4', 's5', 's6']) expect((await melody('add', { name: n, notes: 'c4 d4' })).message?.flags ?? 0).toBe(0);
    const full = await melody('add', { name: 's7', notes: 'c4 d4' });
    expect(full.message?.content).toMatch(/songbook is full \(6 melodies\)/);
    for (const n of ['s3', 's4', 's5', 's6']) await melody('delete', { name: n });
  });

  it('autocompletes names from the songbook and the built-in songs', async () => {
    const sent = fake.sendInteraction({ kind: 'autocomplete', name: 'melody', subcommand: 'show', options: { name: 'na' }, focused: 'name' });
    const choices = (await sent.waitForCallback()).choices?.map((c) => c.value);
    expect(choices).toEqual(['nabiya']);
    const all = await fake.sendInteraction({ kind: 'autocomplete', name: 'melody', subcommand: 'export', options: { name: '' }, focused: 'name' }).waitForCallback();
    const values = all.choices?.map((c) => c.value) ?? [];
    expect(values).toEqual(expect.arrayContaining(['nabiya', '나비야 midi', 'twinkle', 'ode-to-joy']));
    // nabiya is the server's own now: listed once.
    expect(values.filter((v) => v === 'nabiya')).toHaveLength(1);
  });

  it('lists the songbook privately, with the built-ins', async () => {
    const callback = await melody('list', {});
    expect(callback.message?.flags).toBe(MessageFlags.Ephemeral);
    const content = callback.message?.content ?? '';
    expect(content).toMatch(/2 of 6 melodies/);
    expect(content).toContain('**nabiya** — 54 notes · by <@');
    expect(content).toContain('**twinkle**');
    expect(content).toContain('built-in');
  });

  it('shows a built-in song that the server never added, then adds its score to the reply', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'melody', subcommand: 'show', options: { name: 'twinkle' } });
    const callback = await sent.waitForCallback();
    expect(callback.message?.content).toContain('**twinkle**');
    expect(callback.message?.content).toContain('Built-in: Twinkle, Twinkle, Little Star');
    expect(callback.message?.content).toContain('No trained model yet');
    const edit = await sent.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message' && r.files.length > 0);
    expect(edit.files.map((f) => [f.name, f.contentType])).toEqual([
      ['twinkle-staff.png', 'image/png'],
      ['twinkle.ogg', 'application/ogg'],
      ['twinkle.mid', 'audio/midi'],
    ]);
    expect(pngSize(edit.files[0]!.data).width).toBe(1200);
    expect(sent.original()?.content).toContain('Built-in: Twinkle, Twinkle, Little Star');
  });

  it('exports MIDI and ABC files that read back as the same notes', async () => {
    const midi = await melody('export', { name: 'nabiya', format: 'midi' });
    expect(midi.files).toHaveLength(1);
    expect(midi.files[0]?.name).toBe('nabiya.mid');
    expect(formatTokens(readMidi(midi.files[0]!.data))).toBe(NABIYA);
    const abc = await melody('export', { name: '나비야 midi', format: 'abc' });
    expect(abc.files[0]?.name).toBe('midi.abc');
    expect(formatTokens(parseAbc(abc.files[0]!.data.toString('utf8')))).toBe(NABIYA);
  });

  it('only the owner or Manage Server may delete; built-ins cannot be deleted', async () => {
    await melody('add', { name: 'alices-tune', notes: 'c4 d4 e4 f4 g4' });
    await melody('add', { name: 'alices-other', notes: 'c4 d4 e4 f4 g4' });

    const refused = await melody('delete', { name: 'alices-tune' }, 'carol');
    expect(refused.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(refused.message?.content).toMatch(/Only <@\d+>, who added it, or a member with Manage Server can delete/);
    expect(bot.storage.melodies.get(fake.guild.id, 'alices-tune')).not.toBeNull();

    const byManager = await melody('delete', { name: 'alices-tune' }, 'bob');
    expect(byManager.message?.content).toContain('Deleted **alices-tune**');
    expect(bot.storage.melodies.get(fake.guild.id, 'alices-tune')).toBeNull();

    const byOwner = await melody('delete', { name: 'alices-other' }, 'alice');
    expect(byOwner.message?.content).toContain('Deleted **alices-other**');

    const builtin = await melody('delete', { name: 'twinkle' }, 'bob');
    expect(builtin.message?.content).toMatch(/built-in song; it cannot be deleted/);
    const missing = await melody('show', { name: 'nope' });
    expect(missing.message?.content).toMatch(/There is no melody named `nope`/);
  });

  it('pings nobody and uses only routes Discord has', () => {
    const sent = fake.requests.filter((r) => r.message !== null && r.status < 300);
    expect(sent.length).toBeGreaterThan(10);
    for (const request of sent) expect(request.message?.allowed_mentions?.parse ?? null).toEqual([]);
    expect(fake.unhandled()).toEqual([]);
  });
});
