import { escapeMarkdown, InteractionContextType, MessageFlags, SlashCommandBuilder, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { INSTRUMENTS, isInstrument, type Instrument } from '../src/audio/index.ts';
import { parsePlayTarget } from '../src/bot/attachments.ts';
import type { Command, CommandContext } from '../src/bot/command.ts';
import { UserError } from '../src/bot/errors.ts';
import { MAX_TEMPO, MIN_TEMPO } from '../src/music/limits.ts';
import { requireMelody } from '../src/training/songbook.ts';
import { playInVoice, VoiceConnectError, type PlayInteraction, type PlayOutcome } from '../src/voice/index.ts';
import { jobCompletion, latestCompletion, modelCompletion } from '../src/voice/sources.ts';
import type { Melody } from '../src/music/melody.ts';
import { answerMelodyNames } from '../src/bot/melody-autocomplete.ts';

// /play: a melody from the songbook (built-ins included), or without `what` the server's latest
// completion, synthesized and played in the caller's voice channel through the server's play
// queue. The ▶ buttons under melodies and training summaries come here too (button below).

const NO_PINGS = { parse: [] } as const;

const builder = new SlashCommandBuilder()
  .setName('play')
  .setDescription('Play a melody in your voice channel (default: the latest completion)')
  .setContexts(InteractionContextType.Guild)
  .addStringOption((option) =>
    option.setName('what').setDescription("A melody in this server's songbook (built-ins like nabiya too)").setMaxLength(100).setAutocomplete(true),
  )
  .addStringOption((option) =>
    option
      .setName('instrument')
      .setDescription('The sound (default piano)')
      .addChoices(...INSTRUMENTS.map((name) => ({ name, value: name }))),
  )
  .addIntegerOption((option) => option.setName('tempo').setDescription('Quarter notes per minute (default: the melody\'s own)').setMinValue(MIN_TEMPO).setMaxValue(MAX_TEMPO));

function describeOutcome(outcome: PlayOutcome): string {
  const title = `**${escapeMarkdown(outcome.title)}**`;
  const length = `${Math.max(1, Math.round(outcome.durationSeconds))} s`;
  const where = `**${escapeMarkdown(outcome.channelName)}**`;
  return outcome.position === 0
    ? `▶️ Playing ${title} (${length}) in ${where}.`
    : `🎶 ${title} (${length}) is queued in ${where}, number ${outcome.position} in line.`;
}

/** Plays and answers; a failed connection replaces the deferred reply with a private message. */
async function playAndReply(
  interaction: PlayInteraction,
  context: CommandContext,
  melody: Melody,
  options: { title: string; tempo?: number; instrument?: Instrument; ephemeral: boolean },
): Promise<void> {
  let outcome: PlayOutcome;
  try {
    outcome = await playInVoice(interaction, context, melody, options);
  } catch (error) {
    if (!(error instanceof VoiceConnectError) || !interaction.deferred || options.ephemeral) throw error;
    await interaction.deleteReply().catch(() => {});
    await interaction.followUp({ content: error.userMessage, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
    return;
  }
  await interaction.editReply({ content: describeOutcome(outcome), allowedMentions: NO_PINGS });
}

const command = {
  data: builder,
  async execute(interaction: ChatInputCommandInteraction, context: CommandContext) {
    if (!interaction.inGuild()) throw new UserError('Use /play in a server, from its voice channel.');
    const what = interaction.options.getString('what');
    const instrumentName = interaction.options.getString('instrument');
    const tempo = interaction.options.getInteger('tempo');
    let instrument: Instrument | undefined;
    if (instrumentName !== null) {
      if (!isInstrument(instrumentName)) throw new UserError(`Choose an instrument among ${INSTRUMENTS.join(', ')}.`);
      instrument = instrumentName;
    }
    let title: string;
    let melody: Melody;
    if (what === null) {
      ({ title, melody } = latestCompletion(context.storage, interaction.guildId));
    } else {
      const entry = requireMelody(context.storage, interaction.guildId, what);
      title = entry.name;
      melody = entry.melody;
    }
    await playAndReply(interaction, context, melody, {
      title,
      ephemeral: false,
      ...(tempo === null ? {} : { tempo }),
      ...(instrument === undefined ? {} : { instrument }),
    });
  },

  autocomplete: (interaction, context) => answerMelodyNames(interaction, context.storage, 'what'),

  /** ▶ buttons: play:melody:<name>, play:completion:job:<job>:<model>, play:completion:model:… */
  async button(interaction: ButtonInteraction, context: CommandContext, args: readonly string[]) {
    if (!interaction.inGuild()) throw new UserError('Playing needs a server with a voice channel.');
    const target = parsePlayTarget(args);
    if (!target) throw new UserError('This button no longer works; ask for the melody again.');
    let title: string;
    let melody: Melody;
    if (target.kind === 'melody') {
      const entry = requireMelody(context.storage, interaction.guildId, target.name);
      title = entry.name;
      melody = entry.melody;
    } else if (target.kind === 'job') {
      ({ title, melody } = jobCompletion(context.storage, interaction.guildId, target.jobId, target.model));
    } else {
      // Singing it again takes a worker thread and may outlast Discord's 3 s: acknowledge first.
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      ({ title, melody } = await modelCompletion(context.storage, interaction.guildId, target));
    }
    await playAndReply(interaction, context, melody, { title, ephemeral: true });
  },
} satisfies Command;

export const { data, execute, autocomplete, button } = command;
export default command;
