import { InteractionContextType, MessageFlags, SlashCommandBuilder, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { Command, CommandContext } from '../src/bot/command.ts';
import { UserError } from '../src/bot/errors.ts';
import { stopInVoice } from '../src/voice/index.ts';

// /stop and the ⏹ button: stop what plays and clear the server's play queue. The bot stays in the
// channel for VOICE_IDLE_SECONDS (a /play meanwhile starts at once), then leaves.

const NO_PINGS = { parse: [] } as const;

const builder = new SlashCommandBuilder().setName('stop').setDescription('Stop playing and clear the play queue').setContexts(InteractionContextType.Guild);

function stopReply(guildId: string, idleSeconds: number): { content: string; ephemeral: boolean } {
  const dropped = stopInVoice(guildId);
  if (dropped === null || dropped === 0) return { content: 'Nothing is playing.', ephemeral: true };
  const leave = idleSeconds > 0 ? ` I leave the voice channel in ${idleSeconds} s unless something else is played.` : '';
  const cleared = dropped > 1 ? ` and cleared ${dropped - 1} waiting melod${dropped - 1 === 1 ? 'y' : 'ies'}` : '';
  return { content: `⏹️ Stopped${cleared}.${leave}`, ephemeral: false };
}

async function answer(interaction: ChatInputCommandInteraction | ButtonInteraction, context: CommandContext): Promise<void> {
  if (!interaction.inGuild()) throw new UserError('Use /stop in a server.');
  const { content, ephemeral } = stopReply(interaction.guildId, context.config.voiceIdleSeconds);
  await interaction.reply({ content, allowedMentions: NO_PINGS, ...(ephemeral || interaction.isButton() ? { flags: MessageFlags.Ephemeral } : {}) });
}

const command = {
  data: builder,
  execute: answer,
  button: (interaction: ButtonInteraction, context: CommandContext) => answer(interaction, context),
} satisfies Command;

export const { data, execute, button } = command;
export default command;
