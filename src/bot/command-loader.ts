import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from './command.ts';

// Commands are discovered, not listed: every module in commands/ is a command. A module that does
// not look like one stops the start with an error naming the file, rather than a command silently
// missing from Discord.

export const DEFAULT_COMMANDS_DIR = fileURLToPath(new URL('../../commands/', import.meta.url));

const COMMAND_NAME = /^[-_\p{L}\p{N}]{1,32}$/u;

export async function loadCommands(dir: string = DEFAULT_COMMANDS_DIR): Promise<Command[]> {
  const files = (await fs.readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs)$/.test(entry.name) && !/\.(d|test|spec)\.[mc]?[jt]s$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();

  const commands: Command[] = [];
  for (const file of files) {
    const module: unknown = await import(pathToFileURL(path.join(dir, file)).href);
    commands.push(asCommand(module, file));
  }
  assertUniqueNames(commands);
  return commands;
}

/** Accepts a module whose default export is a Command, or whose named exports are. */
export function asCommand(module: unknown, file: string): Command {
  const namespace = module as Record<string, unknown>;
  const candidate = isObject(namespace.default) ? namespace.default : namespace;
  const data = candidate.data;
  if (!isObject(data) || typeof data.name !== 'string' || typeof data.toJSON !== 'function') {
    throw new Error(`${file}: expected a command module exporting "data" (a SlashCommandBuilder) and "execute"; "data" is missing or not a builder`);
  }
  if (!COMMAND_NAME.test(data.name) || data.name !== data.name.toLowerCase()) {
    throw new Error(`${file}: command name ${JSON.stringify(data.name)} must be 1–32 lowercase letters, digits, "-" or "_"`);
  }
  if (typeof candidate.execute !== 'function') throw new Error(`${file}: command "${data.name}" has no execute function`);
  for (const optional of ['autocomplete', 'button'] as const) {
    if (candidate[optional] !== undefined && typeof candidate[optional] !== 'function') {
      throw new Error(`${file}: command "${data.name}" exports "${optional}" that is not a function`);
    }
  }
  return candidate as unknown as Command;
}

export function assertUniqueNames(commands: readonly Command[]): void {
  const seen = new Set<string>();
  for (const command of commands) {
    if (seen.has(command.data.name)) throw new Error(`Two commands are named "${command.data.name}"`);
    seen.add(command.data.name);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}
