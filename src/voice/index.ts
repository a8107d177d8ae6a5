import { generateDependencyReport } from '@discordjs/voice';
import { MessageFlags, PermissionFlagsBits, type ButtonInteraction, type ChatInputCommandInteraction, type Guild, type VoiceBasedChannel } from 'discord.js';
import { planMelody, renderMelody, type Instrument } from '../audio/index.ts';
import type { CommandContext } from '../bot/command.ts';
import { UserError } from '../bot/errors.ts';
import type { Melody } from '../music/melody.ts';
import { toVoicePcm } from './pcm.ts';
import { VoiceSession, type Track } from './session.ts';

// Playing melodies in a member's voice channel: one VoiceSession per server (connection, player,
// play queue), made on the first play and gone after VOICE_IDLE_SECONDS with nothing to play.
// Everything a member can get wrong (not in a voice channel, the bot lacks Connect/Speak, the bot
// busy in another channel, a tempo out of range) is refused before the interaction is
// acknowledged, so the refusal stays ephemeral.
//
// @discordjs/voice 0.19 does the voice protocol: gateway v8, UDP IP discovery, transport
// encryption (aead_aes256_gcm_rtpsize from node:crypto) and DAVE end-to-end encryption through
// @snazzah/davey; Opus comes from opusscript through prism-media.

export { VoiceConnectError, VoiceSession, type Track } from './session.ts';
export { MAX_QUEUE_LENGTH, PlayQueue, QueueFullError } from './queue.ts';
export { toVoicePcm, pcmResource } from './pcm.ts';

export type PlayInteraction = ChatInputCommandInteraction | ButtonInteraction;

export interface PlayOptions {
  /** What the reply calls it, e.g. "나비야" or "나비야 (lstm completion)". */
  readonly title: string;
  readonly tempo?: number;
  readonly instrument?: Instrument;
  /** When playInVoice has to acknowledge the interaction itself: privately (buttons) or not. Default false. */
  readonly ephemeral?: boolean;
}

export interface PlayOutcome {
  readonly channelId: string;
  readonly channelName: string;
  /** 0 = playing now; n = n-th in line. */
  readonly position: number;
  readonly title: string;
  readonly durationSeconds: number;
}

export interface VoiceSettings {
  /** How long joining may take before it is given up (the connection destroyed). */
  connectTimeoutMs: number;
}

/** Tunable by tests (a short connect timeout); production uses the defaults. */
export const voiceSettings: VoiceSettings = { connectTimeoutMs: 20_000 };

const sessions = new Map<string, Promise<VoiceSession>>();
const live = new Map<string, VoiceSession>();

/** @discordjs/voice's report of what it found (Opus, encryption, DAVE libraries), for the start log. */
export function voiceDependencyReport(): string {
  return generateDependencyReport();
}

/** The server's voice session, if the bot is in a voice channel there. */
export function voiceSessionOf(guildId: string): VoiceSession | null {
  return live.get(guildId) ?? null;
}

/**
 * Joins the member's voice channel (or uses the bot's session there) and queues `melody`.
 * Throws errors with a userMessage; acknowledges the interaction (deferReply) if nobody has yet,
 * and otherwise leaves replying to the caller.
 */
export async function playInVoice(interaction: PlayInteraction, context: CommandContext, melody: Melody, options: PlayOptions): Promise<PlayOutcome> {
  if (!interaction.inCachedGuild()) throw new UserError('Playing needs a server with a voice channel; use this in a server.');
  const plan = planMelody(melody, options); // tempo, instrument and length are checked before anything else happens
  const guild = interaction.guild;
  const channel = memberVoiceChannel(guild, interaction.user.id);
  await checkCanJoin(guild, channel);
  const existing = live.get(guild.id);
  if (existing && !existing.closed && existing.channelId !== channel.id && existing.busy) {
    throw new UserError(`I am playing in **${existing.channelName}** right now. Join that channel to add to the queue, or \`/stop\` first.`);
  }

  if (!interaction.deferred && !interaction.replied) {
    await interaction.deferReply(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  }
  const render = { ...(options.tempo === undefined ? {} : { tempo: options.tempo }), ...(options.instrument === undefined ? {} : { instrument: options.instrument }) };
  let sound: Promise<Buffer> | null = null;
  const track: Track = {
    title: options.title,
    requestedBy: interaction.user.id,
    durationSeconds: plan.durationSeconds,
    load: () => (sound ??= renderMelody(melody, render).then(toVoicePcm)),
  };
  const session = await sessionFor(guild, channel, context);
  if (session.closed) throw new UserError('The voice connection closed before the melody could start; please try again.');
  const position = session.queue.enqueue(track);
  context.logger.info('voice play', { guild: guild.id, channel: channel.id, title: options.title, position, seconds: Math.round(plan.durationSeconds) });
  return { channelId: channel.id, channelName: channel.name, position, title: options.title, durationSeconds: plan.durationSeconds };
}

/** /stop: clears the server's queue and stops what plays; the bot leaves after the idle time. Returns the tracks dropped, or null when the bot is in no voice channel. */
export function stopInVoice(guildId: string): number | null {
  const session = live.get(guildId);
  if (!session || session.closed) return null;
  return session.queue.stop();
}

/** Leaves every voice channel (shutdown). */
export function destroyAllVoice(): void {
  for (const session of [...live.values()]) session.destroy();
  live.clear();
  sessions.clear();
}

function memberVoiceChannel(guild: Guild, userId: string): VoiceBasedChannel {
  const channel = guild.voiceStates.cache.get(userId)?.channel ?? null;
  if (!channel) throw new UserError('Join a voice channel first, then ask me again: I play in the channel you are in.');
  return channel;
}

const NEEDED: readonly (readonly [bigint, string])[] = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.Connect, 'Connect'],
  [PermissionFlagsBits.Speak, 'Speak'],
];

async function checkCanJoin(guild: Guild, channel: VoiceBasedChannel): Promise<void> {
  const me = guild.members.me ?? (await guild.members.fetchMe());
  const permissions = channel.permissionsFor(me);
  const missing = NEEDED.filter(([flag]) => !permissions.has(flag)).map(([, name]) => name);
  if (missing.length > 0) {
    throw new UserError(`I cannot play in **${channel.name}**: I am missing the ${missing.join(' and ')} permission${missing.length > 1 ? 's' : ''} there. Ask a server admin to grant it.`);
  }
  if (channel.full && !permissions.has(PermissionFlagsBits.MoveMembers) && guild.voiceStates.cache.get(me.id)?.channelId !== channel.id) {
    throw new UserError(`**${channel.name}** is full; I cannot join it.`);
  }
}

/** The live session in `channel`, or a new one (an idle session elsewhere is closed first). Concurrent calls share one join. */
async function sessionFor(guild: Guild, channel: VoiceBasedChannel, context: CommandContext): Promise<VoiceSession> {
  const pending = sessions.get(guild.id);
  if (pending) {
    const session = await pending.catch(() => null);
    if (session && !session.closed && session.channelId === channel.id) return session;
    if (session && !session.closed) {
      if (session.busy) throw new UserError(`I am playing in **${session.channelName}** right now. Join that channel to add to the queue, or \`/stop\` first.`);
      session.destroy();
    }
    if (sessions.get(guild.id) !== pending) return sessionFor(guild, channel, context); // someone else started a new join meanwhile
  }
  const connecting = VoiceSession.connect({
    guild,
    channel,
    idleMs: context.config.voiceIdleSeconds * 1000,
    connectTimeoutMs: voiceSettings.connectTimeoutMs,
    logger: context.logger.child({ part: 'voice' }),
    onClosed: (closed) => {
      if (live.get(guild.id) === closed) live.delete(guild.id);
      if (sessions.get(guild.id) === connecting) sessions.delete(guild.id);
    },
  });
  sessions.set(guild.id, connecting);
  try {
    const session = await connecting;
    live.set(guild.id, session);
    return session;
  } catch (error) {
    if (sessions.get(guild.id) === connecting) sessions.delete(guild.id);
    throw error;
  }
}
