import fs from 'node:fs/promises';
import {
  AttachmentBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type Attachment,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type SlashCommandStringOption,
} from 'discord.js';
import {
  DISCORD_FILE_LIMIT,
  fileNameFor,
  melodySoundPlan,
  playButtons,
  renderPictures,
  renderSounds,
  sendWithAttachments,
  staffPlan,
  tooLargeMessage,
} from '../src/bot/attachments.ts';
import { AudioRequestError, planMelody, renderAudioFile, type AudioFormat } from '../src/audio/index.ts';
import type { Command, CommandContext } from '../src/bot/command.ts';
import { UserError } from '../src/bot/errors.ts';
import { countNotes, fitItems, melodyCard, melodyName } from '../src/bot/format.ts';
import { clip, MESSAGE_LIMIT } from '../src/bot/text.ts';
import { formatAbc } from '../src/music/abc.ts';
import { NotationError } from '../src/music/errors.ts';
import { MAX_FILE_BYTES } from '../src/music/limits.ts';
import type { Melody } from '../src/music/melody.ts';
import { writeMidi } from '../src/music/midi.ts';
import { looksLikeAbc, parseMelodyText, readMelodyFile } from '../src/music/parse.ts';
import { formatEvent } from '../src/music/token.ts';
import { formatTokens } from '../src/music/tokens.ts';
import type { MelodySourceKind } from '../src/storage/index.ts';
import { melodyModelsDirectory } from '../src/training/runner.ts';
import { answerMelodyNames } from '../src/bot/melody-autocomplete.ts';
import {
  BUILTIN_OWNER,
  NAME_MAX,
  builtinSongs,
  checkMelodyName,
  melodyOfRecord,
  requireMelody,
  type SongbookEntry,
} from '../src/training/songbook.ts';

// /melody: the server's songbook. add (notes as text — token syntax or ABC — or a MIDI/ABC/text
// attachment), list, show, delete (owner or Manage Server), export (MIDI, ABC, OGG, WAV, MP3). Built-in songs
// such as nabiya are always there read-only (see src/training/songbook.ts); names autocomplete.
// add and show answer with the text and ▶/⏹ buttons at once, then edit the reply to add the score
// (a PNG) — and for show the sound (OGG + MIDI) — made after the answer, so making them never holds
// up Discord's 3-second acknowledgement.

const NO_PINGS = { parse: [] } as const;
const DOWNLOAD_TIMEOUT_MS = 15_000;
/** Defer the /melody add reply when the attachment has not arrived after this long. */
const DEFER_AFTER_MS = 2000;

const nameOption = (required: boolean, autocomplete: boolean) => (option: SlashCommandStringOption) =>
  option
    .setName('name')
    .setDescription(autocomplete ? 'Melody in this server\'s songbook (built-ins like nabiya too)' : `A name for the melody (up to ${NAME_MAX} characters)`)
    .setRequired(required)
    .setMaxLength(100)
    .setAutocomplete(autocomplete);

const data = new SlashCommandBuilder()
  .setName('melody')
  .setDescription('The server\'s songbook: add, list, show, delete and export melodies')
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) =>
    sub
      .setName('add')
      .setDescription('Save a melody: notes as text (g8 e8 e4 …, or ABC) or a MIDI/ABC file')
      .addStringOption(nameOption(true, false))
      .addStringOption((option) =>
        option.setName('notes').setDescription('Notes such as g8 e8 e4 f8 d8 d4, or an ABC tune (see /help)').setMaxLength(6000),
      )
      .addAttachmentOption((option) => option.setName('file').setDescription('A .mid, .midi, .abc or .txt file with the melody')),
  )
  .addSubcommand((sub) => sub.setName('list').setDescription('The melodies in this server\'s songbook'))
  .addSubcommand((sub) => sub.setName('show').setDescription('A melody\'s notes and trained models').addStringOption(nameOption(true, true)))
  .addSubcommand((sub) =>
    sub.setName('delete').setDescription('Delete a melody and its trained models (its owner or Manage Server)').addStringOption(nameOption(true, true)),
  )
  .addSubcommand((sub) =>
    sub
      .setName('export')
      .setDescription('Download a melody as a MIDI, ABC, OGG, WAV or MP3 file')
      .addStringOption(nameOption(true, true))
      .addStringOption((option) =>
        option
          .setName('format')
          .setDescription('File format')
          .setRequired(true)
          .addChoices(
            { name: 'MIDI (.mid)', value: 'midi' },
            { name: 'ABC notation (.abc)', value: 'abc' },
            { name: 'OGG Opus audio (.ogg)', value: 'ogg' },
            { name: 'WAV audio (.wav, large)', value: 'wav' },
            { name: 'MP3 audio (.mp3)', value: 'mp3' },
          ),
      ),
  );

function guildOf(interaction: ChatInputCommandInteraction | AutocompleteInteraction): string {
  if (!interaction.inGuild()) throw new UserError('The songbook belongs to a server: use this command in a server channel.');
  return interaction.guildId;
}

/** A NotationError as the member sees it: which token, where, what is allowed. */
export function notationMessage(error: NotationError, source: string): string {
  return clip(`Could not read the notes in ${source}: ${error.message}`, MESSAGE_LIMIT);
}

async function download(attachment: Attachment): Promise<Uint8Array> {
  const kib = Math.round(MAX_FILE_BYTES / 1024);
  if (attachment.size > MAX_FILE_BYTES) {
    throw new UserError(`The file is ${Math.ceil(attachment.size / 1024)} KiB; melody files up to ${kib} KiB are read.`);
  }
  let response: Response;
  try {
    response = await fetch(attachment.url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (error) {
    throw new UserError('Could not download the attached file from Discord; please try again.', { cause: error });
  }
  if (!response.ok || !response.body) throw new UserError(`Could not download the attached file (HTTP ${response.status}); please try again.`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_FILE_BYTES) {
      await response.body.cancel().catch(() => {});
      throw new UserError(`The file is larger than ${kib} KiB; melody files up to ${kib} KiB are read.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function add(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
  const guildId = guildOf(interaction);
  const name = checkMelodyName(interaction.options.getString('name', true));
  const notes = interaction.options.getString('notes');
  const file = interaction.options.getAttachment('file');
  if ((notes === null || notes.trim() === '') && file === null) {
    throw new UserError('Give the notes as text (`notes:g8 e8 e4 f8`) or attach a MIDI or ABC file (`file:`). See /help for the note syntax.');
  }
  if (notes !== null && notes.trim() !== '' && file !== null) throw new UserError('Give either `notes` or `file`, not both.');
  const { limits } = context.config;
  if (context.storage.melodies.get(guildId, name)) {
    throw new UserError(`This server's songbook already has a melody named ${melodyName(name)}. Pick another name, or delete the old one first.`);
  }
  if (context.storage.melodies.count(guildId) >= limits.maxMelodiesPerGuild) {
    throw new UserError(`This server's songbook is full (${limits.maxMelodiesPerGuild} melodies). Delete one with \`/melody delete\` first.`);
  }

  let melody: Melody;
  let sourceKind: MelodySourceKind;
  let from: string;
  if (file !== null) {
    // Discord wants an answer within 3 s. A melody file is small and usually arrives well within
    // that, so the reply (public on success, private on a refusal) waits for it; a slow download
    // defers the reply first — then a refusal edits the public "thinking…" message.
    const downloading = download(file);
    let timer: NodeJS.Timeout | undefined;
    const slow = await Promise.race([
      downloading.then(() => false, () => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), DEFER_AFTER_MS);
      }),
    ]);
    clearTimeout(timer);
    if (slow) await interaction.deferReply();
    const bytes = await downloading;
    try {
      melody = readMelodyFile(file.name, bytes);
    } catch (error) {
      if (error instanceof NotationError) throw new UserError(notationMessage(error, `the file \`${clip(file.name.replace(/`/g, "'"), 60)}\``));
      throw error;
    }
    sourceKind = /\.midi?$/i.test(file.name) ? 'midi' : /\.abc$/i.test(file.name) || looksLikeAbc(new TextDecoder().decode(bytes)) ? 'abc' : 'text';
    from = sourceKind === 'midi' ? 'a MIDI file' : sourceKind === 'abc' ? 'an ABC file' : 'a text file';
  } else {
    const text = notes ?? '';
    try {
      melody = parseMelodyText(text);
    } catch (error) {
      if (error instanceof NotationError) throw new UserError(notationMessage(error, '`notes`'));
      throw error;
    }
    sourceKind = looksLikeAbc(text) ? 'abc' : 'text';
    from = sourceKind === 'abc' ? 'ABC' : 'text';
  }
  if (melody.events.length > limits.maxMelodyEvents) {
    throw new UserError(`That melody has ${melody.events.length} notes and rests; this bot keeps melodies of up to ${limits.maxMelodyEvents}.`);
  }

  const record = context.storage.melodies.create({ guildId, name, ownerId: interaction.user.id, notes: formatTokens(melody), sourceKind });
  const content = melodyCard({
    heading: `🎼 Saved to the songbook from ${from}:`,
    name: record.name,
    melody,
    tokens: melody.events.map(formatEvent),
    extra: [`Next: \`/train melody:${record.name}\``],
  });
  const components = [playButtons({ kind: 'melody', name: record.name })];
  if (interaction.deferred) {
    await interaction.editReply({ content, components, allowedMentions: NO_PINGS });
  } else {
    await interaction.reply({ content, components, allowedMentions: NO_PINGS });
  }
  await attachMedia(interaction, context, record.name, melody, { content, sound: false });
}

/**
 * Adds the melody's score — and with `sound`, its audio (OGG) and MIDI — to the reply already
 * sent. Best effort: the text is there, so a file that cannot be made or uploaded is only logged;
 * sound left out for a reason the member can act on (too long, too large) is said in the text.
 */
async function attachMedia(
  interaction: ChatInputCommandInteraction,
  context: CommandContext,
  name: string,
  melody: Melody,
  options: { readonly content: string; readonly sound: boolean },
): Promise<void> {
  const pictures = await renderPictures([staffPlan(name, melody)], context.logger);
  const sounds = options.sound ? await renderSounds([melodySoundPlan(name, melody)], context.logger) : { files: [], notes: [] };
  if (pictures.length === 0 && sounds.files.length === 0 && sounds.notes.length === 0) return;
  const content = sounds.notes.length > 0 ? clip([options.content, ...sounds.notes].join('\n'), MESSAGE_LIMIT) : undefined;
  try {
    await sendWithAttachments(
      pictures,
      sounds.files,
      (extra) => interaction.editReply({ ...(content === undefined ? {} : { content }), ...extra, allowedMentions: NO_PINGS }),
      context.logger,
    );
  } catch (error) {
    context.logger.warn('could not attach the score and sound to the reply', { command: 'melody', err: error });
  }
}

async function list(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
  const guildId = guildOf(interaction);
  const records = context.storage.melodies.list(guildId, { limit: 200 });
  const trained = new Map<number, string[]>();
  for (const model of context.storage.models.listByGuild(guildId)) trained.set(model.melodyId, [...(trained.get(model.melodyId) ?? []), model.modelName]);
  const names = new Set(records.map((r) => r.name.toLowerCase()));
  const lines = records.map((record) => {
    const melody = melodyOfRecord(record);
    const owner = record.ownerId === BUILTIN_OWNER ? 'built-in' : `by <@${record.ownerId}>`;
    const models = trained.get(record.id);
    return `• ${melodyName(record.name, 40)} — ${countNotes(melody.events)} · ${owner}${models ? ` · trained: ${models.join(', ')}` : ''}`;
  });
  const builtins = builtinSongs()
    .filter((song) => !names.has(song.name))
    .map((song) => `• ${melodyName(song.name)} — ${countNotes(song.melody.events)} · built-in: ${song.title}`);
  const total = context.storage.melodies.count(guildId);
  const head = `🎼 **Songbook** · ${total} of ${context.config.limits.maxMelodiesPerGuild} melodies of this server, plus the built-in songs anyone can use:`;
  const body = fitItems([...lines, ...builtins], MESSAGE_LIMIT - head.length - 1, '\n');
  await interaction.reply({ content: `${head}\n${body}`, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
}

async function show(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
  const guildId = guildOf(interaction);
  const entry = requireMelody(context.storage, guildId, interaction.options.getString('name', true));
  const extra: string[] = [];
  if (entry.builtin) extra.push(`Built-in: ${entry.builtin.title} — ${entry.builtin.description}`);
  else if (entry.record) extra.push(`Added by <@${entry.record.ownerId}> <t:${Math.floor(entry.record.createdAt / 1000)}:R>`);
  const models = entry.record ? context.storage.models.listByMelody(entry.record.id) : [];
  extra.push(
    models.length > 0
      ? `Trained models: ${models.map((m) => `${m.modelName} (${typeof m.metadata.epochs === 'number' ? `${m.metadata.epochs} epochs` : 'trained'})`).join(', ')} — try \`/complete melody:${entry.name}\``
      : `No trained model yet — \`/train melody:${entry.name}\``,
  );
  const content = melodyCard({ heading: '🎼', name: entry.name, melody: entry.melody, tokens: entry.melody.events.map(formatEvent), extra });
  await interaction.reply({ content, components: [playButtons({ kind: 'melody', name: entry.name })], allowedMentions: NO_PINGS });
  // A built-in keeps its metre, tempo and title in the songbook; the server's copy only has the notes.
  await attachMedia(interaction, context, entry.name, entry.builtin?.melody ?? entry.melody, { content, sound: true });
}

async function remove(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
  const guildId = guildOf(interaction);
  const entry = requireMelody(context.storage, guildId, interaction.options.getString('name', true));
  const record = entry.record;
  if (!record) throw new UserError(`${melodyName(entry.name)} is a built-in song; it cannot be deleted.`);
  const manager = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) === true;
  if (record.ownerId !== interaction.user.id && !manager) {
    const owner = record.ownerId === BUILTIN_OWNER ? 'This copy of a built-in song belongs to the server' : `Only <@${record.ownerId}>, who added it,`;
    throw new UserError(`${owner}${record.ownerId === BUILTIN_OWNER ? ':' : ' or'} a member with Manage Server can delete ${melodyName(record.name)}.`);
  }
  // Its jobs could not keep their models anyway: stop them first.
  const active = (await context.queue.listByGuild(guildId, { states: ['queued', 'running'] })).filter((job) => job.melodyId === record.id);
  for (const job of active) await context.queue.cancel(job.id);
  const models = context.storage.models.listByMelody(record.id);
  context.storage.melodies.delete(guildId, record.name);
  await fs.rm(melodyModelsDirectory(context.config.dataDir, guildId, record.id), { recursive: true, force: true }).catch((error: unknown) => {
    context.logger.warn('could not remove trained model files', { melody: record.id, err: error });
  });
  const parts = [`🗑️ Deleted ${melodyName(record.name)}`];
  if (models.length > 0) parts.push(`and its trained models (${models.map((m) => m.modelName).join(', ')})`);
  if (active.length > 0) parts.push(`and cancelled ${active.length === 1 ? 'job' : 'jobs'} ${active.map((j) => `#${j.id}`).join(', ')}`);
  if (entry.builtin) parts.push(`— the built-in ${entry.builtin.name} stays available`);
  await interaction.reply({ content: `${parts.join(' ')}.`, allowedMentions: NO_PINGS });
}

export { fileNameFor } from '../src/bot/attachments.ts';

const AUDIO_EXPORTS: Readonly<Record<string, AudioFormat>> = { ogg: 'ogg', wav: 'wav', mp3: 'mp3' };

async function exportMelody(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
  const guildId = guildOf(interaction);
  const entry: SongbookEntry = requireMelody(context.storage, guildId, interaction.options.getString('name', true));
  const format = interaction.options.getString('format', true);
  const melody: Melody = { ...(entry.builtin?.melody ?? entry.melody), title: entry.builtin?.melody.title ?? entry.melody.title ?? entry.name };
  const base = fileNameFor(entry.name);
  const audioFormat = AUDIO_EXPORTS[format];
  if (audioFormat) return exportAudio(interaction, context, entry, melody, audioFormat);
  const file =
    format === 'midi'
      ? new AttachmentBuilder(Buffer.from(writeMidi(melody)), { name: `${base}.mid` })
      : new AttachmentBuilder(Buffer.from(formatAbc(melody, { title: clip(melody.title ?? entry.name, 100) }), 'utf8'), { name: `${base}.abc` });
  await interaction.reply({
    content: `🎼 ${melodyName(entry.name)} as ${format === 'midi' ? 'MIDI' : 'ABC'} (${countNotes(entry.melody.events)}).`,
    files: [file],
    allowedMentions: NO_PINGS,
  });
}

/**
 * An audio export: refused at once (privately) when it cannot be rendered or a WAV would not fit
 * in a message; otherwise acknowledged first, then rendered, then attached.
 */
async function exportAudio(interaction: ChatInputCommandInteraction, context: CommandContext, entry: SongbookEntry, melody: Melody, format: AudioFormat): Promise<void> {
  let seconds: number;
  let sampleRate: number;
  try {
    const plan = planMelody(melody);
    seconds = plan.durationSeconds;
    sampleRate = plan.sampleRate;
  } catch (error) {
    if (error instanceof AudioRequestError) throw new UserError(`Cannot export ${melodyName(entry.name)} as audio: ${error.userMessage}.`);
    throw error;
  }
  // 16-bit mono PCM: its size is known before rendering.
  if (format === 'wav') {
    const refusal = tooLargeMessage(`${melodyName(entry.name)} as WAV (${seconds.toFixed(0)} s)`, 44 + Math.round(seconds * sampleRate) * 2, 'wav');
    if (refusal) throw new UserError(refusal);
  }
  await interaction.deferReply();
  const label = format.toUpperCase();
  let audio;
  try {
    audio = await renderAudioFile(melody, format, { name: entry.name });
  } catch (error) {
    if (error instanceof AudioRequestError) {
      await interaction.editReply({ content: clip(`Cannot export ${melodyName(entry.name)} as ${label}: ${error.userMessage}.`, MESSAGE_LIMIT), allowedMentions: NO_PINGS });
      return;
    }
    context.logger.warn('could not render an audio export', { command: 'melody', format, err: error });
    await interaction.editReply({ content: `Could not render ${melodyName(entry.name)} as ${label} this time; please try again, or export it as \`midi\`.`, allowedMentions: NO_PINGS });
    return;
  }
  const refusal = tooLargeMessage(`${melodyName(entry.name)} as ${label}`, audio.bytes.byteLength, format, DISCORD_FILE_LIMIT);
  if (refusal) {
    await interaction.editReply({ content: clip(`🔇 ${refusal}`, MESSAGE_LIMIT), allowedMentions: NO_PINGS });
    return;
  }
  const name = `${fileNameFor(entry.name)}.${format}`;
  await interaction.editReply({
    content: `🎼 ${melodyName(entry.name)} as ${label} (${countNotes(entry.melody.events)}, ${audio.durationSeconds.toFixed(1)} s at ${audio.tempo} bpm).`,
    files: [new AttachmentBuilder(Buffer.from(audio.bytes.buffer, audio.bytes.byteOffset, audio.bytes.byteLength), { name })],
    allowedMentions: NO_PINGS,
  });
}

const command = {
  data,
  async execute(interaction, context) {
    switch (interaction.options.getSubcommand(true)) {
      case 'add':
        return add(interaction, context);
      case 'list':
        return list(interaction, context);
      case 'show':
        return show(interaction, context);
      case 'delete':
        return remove(interaction, context);
      case 'export':
        return exportMelody(interaction, context);
      default:
        throw new UserError('That /melody subcommand is not available in this version.');
    }
  },
  autocomplete: (interaction, context) => answerMelodyNames(interaction, context.storage, 'name'),
} satisfies Command;

export const { execute, autocomplete } = command;
export { data };
export default command;
