import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Config } from '../config.ts';
import type { JobQueue } from '../queue/index.ts';
import type { Storage } from '../storage/index.ts';
import type { Logger } from './logger.ts';

// What a command module in commands/ provides. Commands stay thin: parse options, call the core,
// format the reply; errors are thrown, never caught just to reply (the router does that).
//
//   const command = {
//     data: new SlashCommandBuilder().setName('jobs').setDescription('…'),
//     async execute(interaction, context) { … },
//   } satisfies Command;
//   export const { data, execute } = command;
//   export default command;

/** Everything a command may use; built once at start. */
export interface CommandContext {
  readonly config: Config;
  readonly storage: Storage;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** Every loaded command by name (for /help). */
  readonly commands: ReadonlyMap<string, Command>;
}

/** The part of SlashCommandBuilder (and its option/subcommand variants) the runtime uses. */
export interface CommandData {
  readonly name: string;
  readonly description: string;
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody;
}

export interface Command {
  readonly data: CommandData;
  execute(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<unknown>;
  /** Suggestions while a member types an option declared with setAutocomplete(true). */
  autocomplete?(interaction: AutocompleteInteraction, context: CommandContext): Promise<unknown>;
  /** Buttons whose custom id is made with customId(<this command's name>, …args). */
  button?(interaction: ButtonInteraction, context: CommandContext, args: readonly string[]): Promise<unknown>;
}

export const CUSTOM_ID_SEPARATOR = ':';
const CUSTOM_ID_LIMIT = 100;

/** A button custom id routed to `commandName`'s button handler with `args`. */
export function customId(commandName: string, ...args: readonly string[]): string {
  for (const part of [commandName, ...args]) {
    if (part.includes(CUSTOM_ID_SEPARATOR)) throw new Error(`Custom id parts may not contain "${CUSTOM_ID_SEPARATOR}": ${JSON.stringify(part)}`);
  }
  const id = [commandName, ...args].join(CUSTOM_ID_SEPARATOR);
  if (id.length > CUSTOM_ID_LIMIT) throw new Error(`Custom id is ${id.length} characters; Discord allows ${CUSTOM_ID_LIMIT}`);
  return id;
}

export function parseCustomId(id: string): { readonly commandName: string; readonly args: readonly string[] } {
  const [commandName = '', ...args] = id.split(CUSTOM_ID_SEPARATOR);
  return { commandName, args };
}
