// Autocomplete for the melody-name options of /melody, /train, /complete and /play: the server's
// own melodies that match what was typed, then the built-in songs (src/training/songbook.ts).

import type { AutocompleteInteraction } from 'discord.js';
import type { Storage } from '../storage/index.ts';
import { suggestMelodyNames } from '../training/songbook.ts';
import { clip } from './text.ts';

/** Discord's limits: 25 choices, 100 characters per name and value. */
export const MAX_CHOICES = 25;
const CHOICE_LENGTH = 100;

/** Names as autocomplete choices (at most 25, each within Discord's 100 characters). */
export function melodyChoices(names: readonly string[]): { name: string; value: string }[] {
  return names.slice(0, MAX_CHOICES).map((name) => ({ name: clip(name, CHOICE_LENGTH), value: clip(name, CHOICE_LENGTH) }));
}

/**
 * Answers an autocomplete whose focused option is the melody name `option`; any other focused
 * option, or a use outside a server, gets no suggestions.
 */
export async function answerMelodyNames(interaction: AutocompleteInteraction, storage: Storage, option: string): Promise<void> {
  if (!interaction.inGuild()) return interaction.respond([]);
  const focused = interaction.options.getFocused(true);
  if (focused.name !== option) return interaction.respond([]);
  return interaction.respond(melodyChoices(suggestMelodyNames(storage, interaction.guildId, String(focused.value), MAX_CHOICES)));
}
