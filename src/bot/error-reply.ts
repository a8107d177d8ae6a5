import { randomBytes } from 'node:crypto';
import { MessageFlags, type Interaction, type InteractionReplyOptions } from 'discord.js';
import { userMessageOf } from './errors.ts';
import type { Logger } from './logger.ts';
import { clip, MESSAGE_LIMIT } from './text.ts';

// The one place an error becomes a reply. Whatever state the interaction is in, the member gets
// an ephemeral answer: a refusal's own text, or for a bug a generic message with a reference that
// also appears in the log line. This function never throws: a failure to reply (expired token,
// network) is logged and dropped, so one broken interaction cannot take the bot down.

const NO_MENTIONS = { parse: [] } as const;

export function describeInteraction(interaction: Interaction): string {
  if (interaction.isChatInputCommand() || interaction.isAutocomplete()) {
    const group = interaction.options.getSubcommandGroup(false);
    const sub = interaction.options.getSubcommand(false);
    return ['/' + interaction.commandName, group, sub].filter(Boolean).join(' ');
  }
  if (interaction.isMessageComponent()) return `component ${clip(interaction.customId, 100)}`;
  return `interaction type ${interaction.type}`;
}

export async function replyWithError(interaction: Interaction, error: unknown, logger: Logger): Promise<void> {
  const what = describeInteraction(interaction);
  const refusal = userMessageOf(error);
  let content: string;
  if (refusal !== null) {
    logger.info('request refused', { interaction: what, user: interaction.user.id, guild: interaction.guildId ?? undefined, reason: refusal });
    content = refusal;
  } else {
    const reference = randomBytes(4).toString('hex');
    logger.error('interaction failed', {
      interaction: what,
      user: interaction.user.id,
      guild: interaction.guildId ?? undefined,
      ref: reference,
      err: error,
    });
    content = `Something went wrong with ${what}. It has been logged with reference \`${reference}\`; please try again in a moment.`;
  }
  content = clip(content, MESSAGE_LIMIT);

  try {
    if (interaction.isAutocomplete()) {
      // Autocomplete cannot show text; an empty list at least ends the spinner.
      if (!interaction.responded) await interaction.respond([]);
      return;
    }
    if (!interaction.isRepliable()) return;
    if (interaction.deferred && !interaction.replied) {
      await interaction.editReply({ content, allowedMentions: NO_MENTIONS });
    } else if (interaction.replied) {
      await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    } else {
      const options: InteractionReplyOptions = { content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS };
      await interaction.reply(options);
    }
  } catch (replyError) {
    logger.warn('could not send the error reply', { interaction: what, err: replyError });
  }
}
