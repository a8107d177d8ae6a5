import type { Interaction } from 'discord.js';
import type { Command, CommandContext } from './command.ts';
import { parseCustomId } from './command.ts';
import { replyWithError, describeInteraction } from './error-reply.ts';
import { UserError } from './errors.ts';
import type { Logger } from './logger.ts';

// Sends each interaction to its command: slash commands to execute, autocomplete to autocomplete,
// buttons by the command name before the first ":" of their custom id. Every path ends in the
// central error handler, so route() never rejects.

export class InteractionRouter {
  readonly #commands: ReadonlyMap<string, Command>;
  readonly #context: CommandContext;
  readonly #logger: Logger;

  constructor(context: CommandContext) {
    this.#commands = context.commands;
    this.#context = context;
    this.#logger = context.logger;
  }

  async route(interaction: Interaction): Promise<void> {
    const started = Date.now();
    try {
      if (interaction.isChatInputCommand()) {
        await this.#command(interaction.commandName).execute(interaction, this.#context);
      } else if (interaction.isAutocomplete()) {
        const command = this.#command(interaction.commandName);
        if (command.autocomplete) await command.autocomplete(interaction, this.#context);
        else await interaction.respond([]);
      } else if (interaction.isButton()) {
        const { commandName, args } = parseCustomId(interaction.customId);
        const command = this.#commands.get(commandName);
        if (!command?.button) throw new UserError('This button no longer works. Run the command again to get a fresh one.');
        await command.button(interaction, this.#context, args);
      } else {
        this.#logger.debug('ignored interaction', { type: interaction.type });
        return;
      }
      this.#logger.debug('interaction handled', { interaction: describeInteraction(interaction), ms: Date.now() - started });
    } catch (error) {
      await replyWithError(interaction, error, this.#logger);
    }
  }

  #command(name: string): Command {
    const command = this.#commands.get(name);
    // Happens when Discord still has a command registered that this build no longer has.
    if (!command) throw new UserError(`/${name} is not available right now. The bot may be updating; try again in a few minutes.`);
    return command;
  }
}
