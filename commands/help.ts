import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/bot/command.ts';
import { clip, MESSAGE_LIMIT } from '../src/bot/text.ts';

// /help: what Nabi does, the commands this build has, and the note syntax with an example that
// works when pasted. The command list comes from the loaded commands, so it never lists a command
// that is not there.

export const NABIYA_EXAMPLE = '/melody add name:nabiya notes:g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4';

export const NOTE_SYNTAX = [
  '**Note syntax**',
  '• A note is a letter `a`–`g`, an optional `#` (sharp) or `b` (flat), then a duration: `g8` `f#4` `eb2`',
  '• Durations: `1` whole, `2` half, `4` quarter, `8` eighth, `16` sixteenth; a dot adds half again: `e4.`',
  '• Octave: octave 4 (middle C) is the default; write another as `c5:8`, or mark it: `c\'8` one octave up, `g,8` one down',
  '• `r` is a rest: `r4` · bar lines `|` are allowed and ignored: `g8 e8 e4 | f8 d8 d4`',
].join('\n');

export function helpText(commandNames: ReadonlyMap<string, { readonly data: { readonly description: string } }>): string {
  const commands = [...commandNames.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, command]) => `• \`/${name}\` — ${command.data.description}`);
  const next = [
    commandNames.has('train') ? '`/train melody:nabiya` to teach a model the song' : null,
    commandNames.has('complete') ? '`/complete melody:nabiya` to hear it sing the rest from the first four notes' : null,
    commandNames.has('play') ? 'join a voice channel and `/play what:nabiya` (or `/play` alone for the latest completion)' : null,
  ].filter((step) => step !== null);
  return [
    '**Nabi** (나비, "butterfly") learns melodies and sings them back. Save a song to this server\'s songbook, train a small model on it, and let the model complete the song from its first notes.',
    '',
    '**Commands**',
    ...commands,
    '',
    '**Try it**: paste this to save the children\'s song 나비야',
    `\`${NABIYA_EXAMPLE}\``,
    ...(next.length > 0 ? [`then ${next.join(', then ')}.`] : []),
    '',
    NOTE_SYNTAX,
  ].join('\n');
}

const command = {
  data: new SlashCommandBuilder().setName('help').setDescription('What Nabi does, its commands, and how to write notes'),
  async execute(interaction, context) {
    await interaction.reply({
      content: clip(helpText(context.commands), MESSAGE_LIMIT),
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
  },
} satisfies Command;

export const { data, execute } = command;
export default command;
