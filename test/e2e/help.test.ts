import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayIntentBits, GatewayOpcodes, InteractionResponseType, MessageFlags, SlashCommandBuilder } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../src/bot/command.ts';
import { loadCommands } from '../../src/bot/command-loader.ts';
import { UserError } from '../../src/bot/errors.ts';
import { createLogger } from '../../src/bot/logger.ts';
import { startBot, type RunningBot } from '../../src/bot/main.ts';
import { registerCommands } from '../../src/bot/register.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { FakeDiscord, type RecordedRequest } from './fake-discord/index.ts';

// The real bot (config → storage → queue → discord.js login) against the fake Discord: command
// registration, /help, and the central error handler in each interaction state.

/** A command that fails in the way its `mode` option asks. */
const trouble = {
  data: new SlashCommandBuilder()
    .setName('trouble')
    .setDescription('Fails on purpose (tests only)')
    .addStringOption((option) =>
      option
        .setName('mode')
        .setDescription('How to fail')
        .setRequired(true)
        .addChoices(
          { name: 'throw', value: 'throw' },
          { name: 'refuse', value: 'refuse' },
          { name: 'after-defer', value: 'after-defer' },
          { name: 'after-reply', value: 'after-reply' },
        ),
    ),
  async execute(interaction) {
    const mode = interaction.options.getString('mode', true);
    if (mode === 'refuse') throw new UserError('No melody named "<@&123> everyone" in this server.');
    if (mode === 'after-defer') await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    if (mode === 'after-reply') await interaction.reply({ content: 'working on it', flags: MessageFlags.Ephemeral });
    throw new Error(`kaboom (${mode}) with token ${interaction.token}`);
  },
} satisfies Command;

describe('the bot against the fake Discord', () => {
  let fake: FakeDiscord;
  let bot: RunningBot;
  let config: Config;
  let dataDir: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-e2e-'));
    config = loadConfig(fake.env({ DATA_DIR: dataDir, LOG_LEVEL: 'debug', TRAIN_WORKERS: '1' }));
    const commands = [...(await loadCommands()), trouble];
    const registration = await registerCommands(config, commands);
    expect(registration).toMatchObject({ scope: 'guild', guildId: fake.guild.id });
    bot = await startBot(config, {
      commands,
      logger: createLogger({ level: 'debug', secrets: [config.discordToken.reveal()], sink: (line) => logLines.push(line) }),
      readyTimeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const callbackOf = async (options: Record<string, string> = {}, name = 'trouble'): Promise<RecordedRequest> =>
    fake.sendInteraction({ kind: 'command', name, options }).waitForCallback();

  it('registers every command in commands/ to the configured guild', async () => {
    const put = await fake.waitForRoute('PUT /applications/:app/guilds/:guild/commands');
    expect(put.authorization).toBe(`Bot ${fake.token}`);
    expect(put.params).toEqual({ app: fake.applicationId, guild: fake.guild.id });
    const names = fake.registeredCommands(fake.guild.id).map((command) => command.name);
    expect(names).toContain('help');
    expect(names).toContain('trouble');
    expect(fake.registeredCommands()).toEqual([]);
  });

  it('logs in with the Guilds and GuildVoiceStates intents and is ready in the guild', () => {
    const identify = fake.gatewayFrames.find((frame) => frame.op === GatewayOpcodes.Identify);
    expect(identify?.d).toMatchObject({ intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildVoiceStates });
    expect(bot.client.guilds.cache.has(fake.guild.id)).toBe(true);
    expect(bot.storage.schemaVersion()).toBeGreaterThan(0);
  });

  it('/help answers ephemerally, pings nobody, and explains the note syntax with the tutorial example', async () => {
    const callback = await callbackOf({}, 'help');
    expect(callback.status).toBe(204);
    expect(callback.callbackType).toBe(InteractionResponseType.ChannelMessageWithSource);
    const message = callback.message;
    expect(message?.flags).toBe(MessageFlags.Ephemeral);
    expect(message?.allowed_mentions).toEqual({ parse: [] });
    const content = message?.content ?? '';
    expect(content.length).toBeLessThanOrEqual(2000);
    expect(content).toContain('/melody add name:nabiya notes:g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4');
    expect(content).toMatch(/Note syntax/);
    for (const token of ['`c5:8`', "`c'8`", '`g,8`', '`r4`', '`|`', '`e4.`', '#', '16']) expect(content).toContain(token);
    expect(content).toContain('`/help`');
  });

  it('a command that throws gets an ephemeral error reply with a log reference, and the bot keeps answering', async () => {
    const failed = await callbackOf({ mode: 'throw' });
    expect(failed.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(failed.message?.allowed_mentions).toEqual({ parse: [] });
    const reference = /reference `([0-9a-f]{8})`/.exec(failed.message?.content ?? '')?.[1];
    expect(failed.message?.content).toMatch(/^Something went wrong with \/trouble\./);
    expect(reference).toBeDefined();
    // The log line carries the same reference and the error, with the interaction token hidden.
    const logged = logLines.find((line) => line.includes(`ref=${reference}`));
    expect(logged).toMatch(/ERROR interaction failed interaction=\/trouble/);
    expect(logged).toContain('kaboom (throw) with token [redacted]');

    const next = await callbackOf({}, 'help');
    expect(next.status).toBe(204);
    expect(next.message?.content).toMatch(/Note syntax/);
  });

  it('a refusal shows its own text, with mentions disarmed', async () => {
    const refused = await callbackOf({ mode: 'refuse' });
    expect(refused.message).toMatchObject({
      content: 'No melody named "<@&123> everyone" in this server.',
      flags: MessageFlags.Ephemeral,
      allowed_mentions: { parse: [] },
    });
  });

  it('an error after deferReply edits the deferred reply', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'trouble', options: { mode: 'after-defer' } });
    const edit = await sent.waitForResponse((request) => request.route === 'PATCH /webhooks/:app/:token/messages/:message');
    expect((await sent.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(edit.message?.content).toMatch(/^Something went wrong with \/trouble\./);
    expect(edit.message?.allowed_mentions).toEqual({ parse: [] });
    expect(sent.original()).toMatchObject({ flags: MessageFlags.Ephemeral });
  });

  it('an error after a reply arrives as an ephemeral follow-up', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'trouble', options: { mode: 'after-reply' } });
    const followUp = await sent.waitForResponse((request) => request.route === 'POST /webhooks/:app/:token');
    expect(followUp.status).toBe(200);
    expect(followUp.message).toMatchObject({ flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } });
    expect(followUp.message?.content).toMatch(/^Something went wrong/);
  });

  it('a command Discord still knows but the bot does not gets a clear answer', async () => {
    const callback = await callbackOf({}, 'retired');
    expect(callback.message?.content).toBe('/retired is not available right now. The bot may be updating; try again in a few minutes.');
    expect(callback.message?.flags).toBe(MessageFlags.Ephemeral);
  });

  it('a button nobody handles gets an ephemeral explanation', async () => {
    const sent = fake.sendInteraction({ kind: 'button', customId: 'nothing:here' });
    const callback = await sent.waitForCallback();
    expect(callback.message).toMatchObject({ content: expect.stringMatching(/This button no longer works/), flags: MessageFlags.Ephemeral });
  });

  it('never logs the bot token, and calls no route the fake does not know', () => {
    expect(logLines.length).toBeGreaterThan(10);
    for (const line of logLines) expect(line).not.toContain(fake.token);
    expect(fake.unhandled()).toEqual([]);
  });

  it('refuses to start with a token Discord rejects, without printing it', async () => {
    const wrong = 'AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
    const badConfig = loadConfig(fake.env({ DATA_DIR: dataDir, DISCORD_TOKEN: wrong }));
    const lines: string[] = [];
    const error = await startBot(badConfig, {
      commands: [trouble],
      logger: createLogger({ level: 'debug', secrets: [wrong], sink: (line) => lines.push(line) }),
      readyTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/invalid token/i);
    expect(String(error)).not.toContain(wrong);
    expect(lines.join('\n')).not.toContain(wrong);
  });
});
