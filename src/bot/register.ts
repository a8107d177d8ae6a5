import { REST, Routes, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import type { Config } from '../config.ts';
import type { Command } from './command.ts';
import { assertUniqueNames, loadCommands } from './command-loader.ts';

// Registration replaces the whole command list in one PUT, so commands removed from commands/
// disappear from Discord too. With GUILD_ID set it targets that server (changes show at once);
// otherwise it registers globally.

export interface RegistrationResult {
  readonly scope: 'guild' | 'global';
  readonly guildId: string | null;
  /** Names as Discord acknowledged them. */
  readonly names: readonly string[];
}

export type RegistrationConfig = Pick<Config, 'discordToken' | 'discordAppId' | 'guildId' | 'discordApiBase'>;

/** Registers `commands` (default: every module in commands/). */
export async function registerCommands(config: RegistrationConfig, commands?: readonly Command[]): Promise<RegistrationResult> {
  commands ??= await loadCommands();
  assertUniqueNames(commands);
  const rest = new REST({ api: config.discordApiBase }).setToken(config.discordToken.reveal());
  const body = commands.map((command) => command.data.toJSON());
  const route =
    config.guildId === null ? Routes.applicationCommands(config.discordAppId) : Routes.applicationGuildCommands(config.discordAppId, config.guildId);
  const registered = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  return {
    scope: config.guildId === null ? 'global' : 'guild',
    guildId: config.guildId,
    names: registered.map((command) => command.name),
  };
}
