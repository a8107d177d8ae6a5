import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VoiceOpcodes } from 'discord-api-types/voice/v8';
import { GatewayOpcodes, InteractionResponseType, MessageFlags, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMelody, trackNotes } from '../../src/audio/index.ts';
import { loadCommands } from '../../src/bot/command-loader.ts';
import { createLogger } from '../../src/bot/logger.ts';
import { startBot, type RunningBot } from '../../src/bot/main.ts';
import { registerCommands } from '../../src/bot/register.ts';
import { loadConfig } from '../../src/config.ts';
import { SONGBOOK } from '../../src/music/songbook.ts';
import { formatTokens } from '../../src/music/tokens.ts';
import { BUILTIN_OWNER } from '../../src/training/songbook.ts';
import { voiceSettings } from '../../src/voice/index.ts';
import { FakeDiscord, waitUntil, type SentInteraction } from './fake-discord/index.ts';
import { AES_GCM_RTPSIZE, FakeVoiceServer, trustLoopbackCertificate } from './fake-voice/fake-voice.ts';

// /play through the whole voice stack: the real bot and @discordjs/voice against the fake Discord
// (which answers the bot's op 4 with VOICE_STATE_UPDATE + VOICE_SERVER_UPDATE) and the fake voice
// server (voice gateway v8 over wss://, UDP IP discovery, aead_aes256_gcm_rtpsize). What the fake
// voice server receives is decrypted and decoded, and pitch tracking must find 나비야 in it.

const TEMPO = 200; // 나비야 in ~10 s instead of ~20 s

describe('/play in a voice channel', () => {
  let fake: FakeDiscord;
  let voice: FakeVoiceServer;
  let bot: RunningBot;
  let dataDir: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    trustLoopbackCertificate();
    voice = await FakeVoiceServer.start({ heartbeatIntervalMs: 1000 });
    fake = await FakeDiscord.start({
      voiceServer: { endpoint: voice.endpoint, token: voice.token },
      guilds: [
        {
          channels: [
            { name: 'general', type: 'text' },
            { name: 'Music', type: 'voice' },
            { name: 'Quiet', type: 'voice', botDeny: PermissionFlagsBits.Speak },
          ],
        },
      ],
    });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-voice-'));
    const config = loadConfig(fake.env({ DATA_DIR: dataDir, TRAIN_WORKERS: '1', VOICE_IDLE_SECONDS: '1', LOG_LEVEL: 'debug' }));
    const commands = await loadCommands();
    await registerCommands(config, commands);
    bot = await startBot(config, {
      commands,
      logger: createLogger({ level: 'debug', secrets: [config.discordToken.reveal()], sink: (line) => logLines.push(line) }),
    });
  });

  afterAll(async () => {
    voiceSettings.connectTimeoutMs = 20_000;
    await bot?.stop();
    await fake?.close();
    await voice?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const botGuild = () => bot.client.guilds.cache.get(fake.guild.id)!;
  const channelNamed = (name: string) => fake.guild.channels.find((c) => c.name === name)!;

  async function memberJoins(username: string, channelName: string): Promise<void> {
    const channel = channelNamed(channelName);
    fake.joinVoice(username, channel.id);
    const userId = fake.guild.member(username).user.id;
    await waitUntil(() => botGuild().voiceStates.cache.get(userId)?.channelId === channel.id, { timeoutMs: 5000, what: `${username} in ${channelName} (bot's cache)` });
  }

  function ephemeralContent(sent: SentInteraction): Promise<string> {
    return sent.waitForCallback().then((callback) => {
      expect(callback.callbackType).toBe(InteractionResponseType.ChannelMessageWithSource);
      expect(callback.message?.flags).toBe(MessageFlags.Ephemeral);
      return String(callback.message?.content ?? '');
    });
  }

  it('logs the voice dependency report once at start, DAVE and Opus found', () => {
    const report = logLines.filter((line) => line.includes('voice dependencies'));
    expect(report).toHaveLength(1);
    expect(report[0]).toContain('@snazzah/davey');
    expect(report[0]).toContain('opusscript: 0.0.8');
  });

  it('refuses, privately, a member who is not in a voice channel', async () => {
    const content = await ephemeralContent(fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice', options: { what: 'nabiya' } }));
    expect(content).toMatch(/Join a voice channel first/);
  });

  it('refuses, privately, a channel where the bot may not speak, without joining it', async () => {
    await memberJoins('bob', 'Quiet');
    const content = await ephemeralContent(fake.sendInteraction({ kind: 'command', name: 'play', member: 'bob', options: { what: 'nabiya' } }));
    expect(content).toMatch(/missing the Speak permission/);
    expect(fake.gatewayFrames.some((frame) => frame.op === GatewayOpcodes.VoiceStateUpdate)).toBe(false);
  });

  it('plays 나비야 in the member\'s channel: the voice server hears the melody, then the bot leaves when idle', async () => {
    await memberJoins('alice', 'Music');
    const music = channelNamed('Music');
    const sent = fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice', options: { what: 'nabiya', tempo: TEMPO } });
    const callback = await sent.waitForCallback();
    expect(callback.callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const reply = await sent.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message', 30_000);
    expect(reply.message?.content).toMatch(/Playing \*\*nabiya\*\* \(\d+ s\) in \*\*Music\*\*/);
    expect(reply.message?.allowed_mentions).toEqual({ parse: [] });

    // The bot asked to join Music, deafened, through the gateway; the fake told it where to connect.
    const join = fake.gatewayFrames.find((frame) => frame.op === GatewayOpcodes.VoiceStateUpdate);
    expect(join?.d).toMatchObject({ guild_id: fake.guild.id, channel_id: music.id, self_deaf: true });

    // The voice handshake, as Discord runs it.
    const identify = await voice.waitForFrame(VoiceOpcodes.Identify);
    expect(identify.d).toMatchObject({ server_id: fake.guild.id, user_id: fake.bot.id });
    expect((identify.d as { max_dave_protocol_version: number }).max_dave_protocol_version).toBeGreaterThanOrEqual(1); // DAVE available
    const select = await voice.waitForFrame(VoiceOpcodes.SelectProtocol);
    expect(select.d).toMatchObject({ protocol: 'udp', data: { address: '127.0.0.1', mode: AES_GCM_RTPSIZE } });
    const speaking = await voice.waitForFrame(VoiceOpcodes.Speaking);
    expect(speaking.d).toMatchObject({ speaking: 1, ssrc: voice.ssrc });

    // The melody ends, the queue is empty: after VOICE_IDLE_SECONDS (1 s) the bot leaves.
    const plan = planMelody(SONGBOOK.nabiya!.melody, { tempo: TEMPO });
    await waitUntil(() => fake.voiceChannelOf(fake.bot.id) === null && fake.gatewayFrames.some((f) => f.op === GatewayOpcodes.VoiceStateUpdate && (f.d as { channel_id: unknown }).channel_id === null), {
      timeoutMs: plan.durationSeconds * 1000 + 30_000,
      what: 'the bot leaving the voice channel',
    });
    expect(voice.framesOf(VoiceOpcodes.Heartbeat).length).toBeGreaterThan(0);

    expect(voice.rejected).toEqual([]);
    expect(voice.packets.length).toBeGreaterThan((plan.durationSeconds / 0.02) * 0.9);
    const samples = voice.decodeAudio();
    const found = trackNotes(samples, 48_000);
    const expected = plan.notes.map((n) => n.midi);
    expect(found.length).toBeGreaterThanOrEqual(12);
    expect(found.slice(0, expected.length).map((n) => n.midi)).toEqual(expected.slice(0, Math.min(found.length, expected.length)));
    expect(found.length).toBe(expected.length);
  });

  it('queues a ▶ button\'s melody behind the playing one, and ⏹ stops and clears the queue', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice', options: { what: 'nabiya' } });
    const reply = await sent.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message', 30_000);
    expect(reply.message?.content).toMatch(/Playing \*\*nabiya\*\*/);
    await waitUntil(() => fake.voiceChannelOf(fake.bot.id) === channelNamed('Music').id, { timeoutMs: 5000, what: 'the bot in Music' });

    const button = fake.sendInteraction({ kind: 'button', customId: 'play:melody:nabiya', member: 'alice' });
    const deferred = await button.waitForCallback();
    expect(deferred.callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(deferred.message?.flags ?? (deferred.body as { data?: { flags?: number } }).data?.flags).toBe(MessageFlags.Ephemeral);
    const queued = await button.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message', 30_000);
    expect(queued.message?.content).toMatch(/\*\*nabiya\*\* \(\d+ s\) is queued in \*\*Music\*\*, number 1 in line/);

    const stop = fake.sendInteraction({ kind: 'button', customId: 'stop', member: 'alice' });
    const stopped = await stop.waitForCallback();
    expect(stopped.message?.content).toBe('⏹️ Stopped and cleared 1 waiting melody. I leave the voice channel in 1 s unless something else is played.');
    const packetsAtStop = voice.packets.length;
    await waitUntil(() => fake.voiceChannelOf(fake.bot.id) === null, { timeoutMs: 10_000, what: 'the bot leaving after /stop' });
    // Playback ended at the stop (the library's few trailing silence frames aside), not 20 s later.
    expect(voice.packets.length - packetsAtStop).toBeLessThan(20);
  });

  it('offers DAVE: with a voice server that asks for protocol 1, the bot sends its MLS key package (@snazzah/davey) and still plays', async () => {
    const daveVoice = await FakeVoiceServer.start({ heartbeatIntervalMs: 1000, daveProtocolVersion: 1 });
    try {
      fake.setVoiceServer({ endpoint: daveVoice.endpoint, token: daveVoice.token });
      const sent = fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice', options: { what: 'nabiya', tempo: TEMPO } });
      const reply = await sent.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message', 30_000);
      expect(reply.message?.content).toMatch(/Playing \*\*nabiya\*\*/);
      // Binary opcode 26: DAVE_MLS_KEY_PACKAGE. Until the (absent) MLS group is established the
      // library sends audio under transport encryption only, as Discord expects during a transition.
      await waitUntil(() => daveVoice.binaryOps.includes(26) && daveVoice.packets.length > 25, { timeoutMs: 15_000, what: 'a DAVE key package and audio' });
      expect(daveVoice.rejected).toEqual([]);
      const stop = await fake.sendInteraction({ kind: 'command', name: 'stop', member: 'alice' }).waitForCallback();
      expect(stop.message?.content).toMatch(/^⏹️ Stopped\./);
      await waitUntil(() => fake.voiceChannelOf(fake.bot.id) === null, { timeoutMs: 10_000, what: 'the bot leaving after /stop' });
    } finally {
      fake.setVoiceServer({ endpoint: voice.endpoint, token: voice.token });
      await daveVoice.close();
    }
  });

  it('leaves and forgets the queue when Discord drops it from the channel (close 4014), without hanging', async () => {
    const sent = fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice', options: { what: 'nabiya' } });
    await sent.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message', 30_000);
    voice.disconnectAll(4014);
    await waitUntil(() => fake.voiceChannelOf(fake.bot.id) === null, { timeoutMs: 15_000, what: 'the bot leaving after being disconnected' });
    const content = await ephemeralContent(fake.sendInteraction({ kind: 'command', name: 'stop', member: 'alice' }));
    expect(content).toBe('Nothing is playing.');
  });

  it('/play without a melody plays the latest completion, and says how to get one when there is none', async () => {
    const content = await ephemeralContent(fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice' }));
    expect(content).toMatch(/no completion in this server yet/);

    // A trained model's summary, as training stores it: its full-song completion's tokens.
    const nabiya = bot.storage.melodies.create({ guildId: fake.guild.id, name: 'nabiya', ownerId: BUILTIN_OWNER, notes: formatTokens(SONGBOOK.nabiya!.melody), sourceKind: 'text' });
    const tokens = ['g8', 'e8', 'e4', 'f8', 'd8', 'd4', 'c8', 'd8', 'e8', 'f8', 'g8', 'g8', 'g4'];
    bot.storage.models.save({ guildId: fake.guild.id, melodyId: nabiya.id, modelName: 'lstm', filesDir: dataDir, metadata: { model: 'lstm', window: 4, fullSong: { accuracy: 1, exact: true, tokens, wrong: [] } } });
    const sent = fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice' });
    const reply = await sent.waitForResponse((r) => r.route === 'PATCH /webhooks/:app/:token/messages/:message', 30_000);
    expect(reply.message?.content).toMatch(/Playing \*\*nabiya \(lstm completion\)\*\* \(\d+ s\) in \*\*Music\*\*/);
    const stop = await fake.sendInteraction({ kind: 'command', name: 'stop', member: 'alice' }).waitForCallback();
    expect(stop.message?.content).toMatch(/^⏹️ Stopped\./);
    await waitUntil(() => fake.voiceChannelOf(fake.bot.id) === null, { timeoutMs: 10_000, what: 'the bot leaving after /stop' });
  });

  it('/stop with nothing playing says so privately', async () => {
    const content = await ephemeralContent(fake.sendInteraction({ kind: 'command', name: 'stop', member: 'alice' }));
    expect(content).toBe('Nothing is playing.');
  });

  it('gives up a connection that does not become ready: private message, connection destroyed', async () => {
    fake.setVoiceServer(null); // op 4 gets its VOICE_STATE_UPDATE, never a VOICE_SERVER_UPDATE
    voiceSettings.connectTimeoutMs = 1500;
    const leavesBefore = fake.gatewayFrames.filter((f) => f.op === GatewayOpcodes.VoiceStateUpdate && (f.d as { channel_id: unknown }).channel_id === null).length;
    const sent = fake.sendInteraction({ kind: 'command', name: 'play', member: 'alice', options: { what: 'nabiya' } });
    expect((await sent.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const followUp = await sent.waitForResponse((r) => r.route === 'POST /webhooks/:app/:token', 15_000);
    expect(followUp.message?.flags).toBe(MessageFlags.Ephemeral);
    expect(followUp.message?.content).toMatch(/could not connect to the voice channel \*\*Music\*\* within 2 s/);
    expect(sent.original()).toBeNull(); // the public "thinking…" reply is gone
    await waitUntil(() => fake.gatewayFrames.filter((f) => f.op === GatewayOpcodes.VoiceStateUpdate && (f.d as { channel_id: unknown }).channel_id === null).length > leavesBefore, {
      timeoutMs: 5000,
      what: 'the bot leaving after the failed connection',
    });
    expect(fake.unhandled()).toEqual([]);
  });
});
