import { InteractionContextType, MessageFlags, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { completionPlan, completionSoundPlan, pictureTitle, playButtons, renderPictures, renderSounds, sendWithAttachments } from '../src/bot/attachments.ts';
import type { Command, CommandContext } from '../src/bot/command.ts';
import { UserError, userMessageOf } from '../src/bot/errors.ts';
import { completionMessage, melodyName } from '../src/bot/format.ts';
import { clip, MESSAGE_LIMIT } from '../src/bot/text.ts';
import { readModelInfo } from '../src/learning/persistence.ts';
import { MAX_PREDICTION_LENGTH, MAX_TEMPERATURE } from '../src/learning/predict.ts';
import { MAX_SEED } from '../src/learning/random.ts';
import { encodeEvents } from '../src/learning/vocabulary.ts';
import { NotationError } from '../src/music/errors.ts';
import type { Melody, MelodyEvent } from '../src/music/melody.ts';
import { parseMelodyText } from '../src/music/parse.ts';
import { formatEvent } from '../src/music/token.ts';
import type { TrainedModelRecord } from '../src/storage/index.ts';
import { findMelody, requireMelody, suggestMelodyNames } from '../src/training/songbook.ts';
import { completeInWorker, WorkerTaskError } from '../src/training/thread.ts';
import { readSummary } from '../src/training/types.ts';
import { melodyChoices } from '../src/bot/melody-autocomplete.ts';

// /complete: a trained model sings the melody from its first notes (or from `start`: a note number
// in the melody, or start notes of one's own), with the notes that differ from the original
// marked, and its one-step and full-song accuracy. The prediction runs in a worker thread like
// training, so the bot stays responsive; everything a member can get wrong is checked before the
// reply is deferred, so those refusals stay private. The reply carries the completion as a score
// (the original above, wrong notes in red and boxed), as sound (OGG + MIDI) and ▶/⏹ buttons, all
// made once the reply has been deferred; play:true then plays it in the member's voice channel.

/** Errors from the prediction that the member caused (shown as they are). */
const MEMBER_ERRORS = new Set(['PredictionError', 'VocabularyError', 'DatasetError', 'RangeError']);
const COMPLETION_TIMEOUT_MS = 60_000;

const data = new SlashCommandBuilder()
  .setName('complete')
  .setDescription('Let a trained model sing a melody from its first notes, wrong notes marked')
  .setContexts(InteractionContextType.Guild)
  .addStringOption((option) => option.setName('melody').setDescription('A melody with a trained model').setRequired(true).setMaxLength(100).setAutocomplete(true))
  .addStringOption((option) => option.setName('model').setDescription('Which trained model (default: the best one)').setMaxLength(30).setAutocomplete(true))
  .addStringOption((option) =>
    option.setName('start').setDescription('A note number to start from (1 = the beginning), or your own start notes like g8 e8 e4 f8').setMaxLength(400),
  )
  .addIntegerOption((option) => option.setName('length').setDescription('Notes to sing (default: to the end of the melody)').setMinValue(1).setMaxValue(MAX_PREDICTION_LENGTH))
  .addNumberOption((option) =>
    option.setName('temperature').setDescription('0 = always the likeliest note (default); higher = freer').setMinValue(0).setMaxValue(MAX_TEMPERATURE),
  )
  .addIntegerOption((option) => option.setName('seed').setDescription('Seed for temperature sampling (default 0)').setMinValue(0).setMaxValue(MAX_SEED))
  .addBooleanOption((option) => option.setName('play').setDescription('Also play the completion in your voice channel'));

/** The voice module's entry point, as far as /complete uses it (src/voice/index.ts). */
type PlayInVoice = (
  interaction: ChatInputCommandInteraction,
  context: CommandContext,
  melody: Melody,
  options: { readonly title: string },
) => Promise<{ readonly channelName?: string; readonly position?: number } | undefined | void>;

const NO_PLAYBACK = '🔇 Playback in a voice channel is not available right now; the audio file above plays in Discord.';

/**
 * play:true — after the reply: plays the completion in the member's voice channel through
 * src/voice when it is there. A refusal (not in a voice channel, …) or a missing voice module is
 * said in a private follow-up; the reply with the completion stays as it is.
 */
async function playCompletion(interaction: ChatInputCommandInteraction, context: CommandContext, melody: Melody, title: string): Promise<void> {
  let message: string;
  try {
    // Loaded on first use: the voice stack (@discordjs/voice, DAVE) stays out of the other commands' way.
    const voice = (await import('../src/voice/index.ts')) as { playInVoice?: unknown };
    if (typeof voice.playInVoice !== 'function') throw new Error('src/voice/index.ts does not export playInVoice');
    const outcome = await (voice.playInVoice as PlayInVoice)(interaction, context, melody, { title });
    if (!outcome) return;
    const where = outcome.channelName ? ` in **${clip(outcome.channelName, 100)}**` : '';
    message = outcome.position ? `▶️ ${clip(title, 200)} is number ${outcome.position} in line${where}.` : `▶️ Playing ${clip(title, 200)}${where}.`;
  } catch (error) {
    const reason = userMessageOf(error);
    if (!reason) context.logger.warn('voice playback unavailable', { command: 'complete', err: error });
    message = reason ? clip(`🔇 Cannot play it in voice: ${reason}`, MESSAGE_LIMIT) : NO_PLAYBACK;
  }
  try {
    await interaction.followUp({ content: message, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  } catch (error) {
    context.logger.warn('could not send the playback follow-up', { command: 'complete', err: error });
  }
}

/** The model a member means: the named one, else the best (full-song accuracy, then newest). */
export function chooseModel(models: readonly TrainedModelRecord[], wanted: string | null): TrainedModelRecord | null {
  if (wanted !== null) return models.find((m) => m.modelName === wanted.trim().toLowerCase()) ?? null;
  const score = (m: TrainedModelRecord): number => readSummary(m.metadata)?.fullSong.accuracy ?? 0;
  return [...models].sort((a, b) => score(b) - score(a) || b.createdAt - a.createdAt)[0] ?? null;
}

async function modelChoices(interaction: AutocompleteInteraction, context: CommandContext): Promise<{ name: string; value: string }[]> {
  if (!interaction.inGuild()) return [];
  const entry = findMelody(context.storage, interaction.guildId, interaction.options.getString('melody') ?? '');
  if (!entry?.record) return [];
  const typed = String(interaction.options.getFocused()).trim().toLowerCase();
  return context.storage.models
    .listByMelody(entry.record.id)
    .filter((m) => m.modelName.includes(typed))
    .map((m) => {
      const summary = readSummary(m.metadata);
      const epochs = summary ? `${summary.epochs} epochs` : 'trained';
      const accuracy = summary ? ` · full song ${(summary.fullSong.accuracy * 100).toFixed(0)}%` : '';
      return { name: clip(`${m.modelName} (${epochs}${accuracy})`, 100), value: m.modelName };
    });
}

const command = {
  data,
  async execute(interaction, context) {
    if (!interaction.inGuild()) throw new UserError('Use /complete in a server: models belong to its songbook.');
    const entry = requireMelody(context.storage, interaction.guildId, interaction.options.getString('melody', true));
    const models = entry.record ? context.storage.models.listByMelody(entry.record.id) : [];
    if (models.length === 0) throw new UserError(`${melodyName(entry.name)} has no trained model yet. Train one first: \`/train melody:${entry.name}\``);
    const wanted = interaction.options.getString('model');
    const chosen = chooseModel(models, wanted);
    if (!chosen) {
      throw new UserError(
        `${melodyName(entry.name)} has no trained \`${clip((wanted ?? '').replace(/`/g, "'"), 30)}\` model; it has ${models.map((m) => `\`${m.modelName}\``).join(', ')}.`,
      );
    }

    let info;
    try {
      info = await readModelInfo(chosen.filesDir);
    } catch (error) {
      context.logger.warn('trained model files unreadable', { model: chosen.id, err: error });
      throw new UserError(`The saved ${chosen.modelName} model of ${melodyName(entry.name)} cannot be read any more; train it again with \`/train\`.`);
    }
    const window = info.window;
    const melodyLength = info.melody.events.length;

    // start: nothing → the first notes; a number → that note (1-based); otherwise notes of one's own.
    const startText = interaction.options.getString('start')?.trim() ?? '';
    let start: number | readonly MelodyEvent[] = 0;
    if (/^\d+$/.test(startText)) {
      const note = Number(startText);
      const last = melodyLength - window + 1;
      if (note < 1 || note > last) throw new UserError(`start must be a note number from 1 to ${last}: the melody has ${melodyLength} notes and the model needs ${window} to begin.`);
      start = note - 1;
    } else if (startText !== '') {
      let events: readonly MelodyEvent[];
      try {
        events = parseMelodyText(startText).events;
      } catch (error) {
        if (error instanceof NotationError) throw new UserError(`Could not read the start notes: ${error.message}`);
        throw error;
      }
      if (events.length !== window) throw new UserError(`This ${chosen.modelName} model starts from exactly ${window} notes; \`start\` has ${events.length}.`);
      try {
        encodeEvents(info.vocabulary, events);
      } catch (error) {
        throw new UserError(`The model cannot start from those notes: ${error instanceof Error ? error.message : String(error)}`);
      }
      start = events;
    }
    const length = interaction.options.getInteger('length') ?? undefined;
    const temperature = interaction.options.getNumber('temperature') ?? 0;
    const seed = interaction.options.getInteger('seed') ?? 0;

    await interaction.deferReply();
    let outcome;
    try {
      outcome = await completeInWorker(chosen.filesDir, { start, temperature, seed, ...(length === undefined ? {} : { length }) }, { timeoutMs: COMPLETION_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof WorkerTaskError && MEMBER_ERRORS.has(error.originalName)) throw new UserError(`Could not complete the melody: ${error.message}`);
      throw error;
    }
    const result = outcome.result;
    const content = completionMessage({
      melody: entry.name,
      model: result.model,
      epochs: result.epochs,
      learnedAtEpoch: result.learnedAtEpoch,
      window: result.window,
      start: result.start,
      temperature: result.temperature,
      tokens: result.tokens,
      fullSong: result.fullSong,
      oneStepAccuracy: result.oneStep.accuracy,
    });
    // The notes the model learned (what wrong[].index refers to), with the songbook's metre and title.
    const songbook = entry.builtin?.melody ?? entry.melody;
    const learned: Melody = { ...songbook, events: info.melody.events };
    const pictures = await renderPictures(
      [
        completionPlan({
          name: entry.name,
          model: result.model,
          original: result.fullSong ? learned : null,
          tokens: result.tokens,
          wrong: result.fullSong?.wrong ?? [],
          window: result.window,
          start: result.start ?? 0,
        }),
      ],
      context.logger,
    );
    const { events: _events, ...meta } = songbook;
    const soundPlan = completionSoundPlan({ name: entry.name, model: result.model, tokens: result.tokens, meta });
    const sounds = await renderSounds([soundPlan], context.logger);
    const components = [
      playButtons({
        kind: 'model',
        modelId: chosen.id,
        start: typeof start === 'number' ? start : start.map(formatEvent),
        length: length ?? null,
        temperature,
        seed,
      }),
    ];
    const text = sounds.notes.length > 0 ? clip([content, ...sounds.notes].join('\n'), MESSAGE_LIMIT) : content;
    await sendWithAttachments(
      pictures,
      sounds.files,
      (extra) => interaction.editReply({ content: text, components, allowedMentions: { parse: [] }, ...extra }),
      context.logger,
    );
    if (interaction.options.getBoolean('play') === true && soundPlan) {
      await playCompletion(interaction, context, soundPlan.melody, `${pictureTitle(entry.name, songbook)} (${result.model} completion)`);
    }
  },
  async autocomplete(interaction, context) {
    if (!interaction.inGuild()) return interaction.respond([]);
    const focused = interaction.options.getFocused(true);
    if (focused.name === 'model') return interaction.respond(await modelChoices(interaction, context));
    if (focused.name !== 'melody') return interaction.respond([]);
    // Melodies with a trained model first: those are the ones /complete can use.
    const names = suggestMelodyNames(context.storage, interaction.guildId, String(focused.value), 100);
    const trained = new Set(context.storage.models.listByGuild(interaction.guildId).map((m) => m.melodyId));
    const withModel = names.filter((name) => {
      const record = context.storage.melodies.get(interaction.guildId, name);
      return record !== null && trained.has(record.id);
    });
    const rest = names.filter((name) => !withModel.includes(name));
    return interaction.respond(melodyChoices([...withModel, ...rest]));
  },
} satisfies Command;

export const { execute, autocomplete } = command;
export { data };
export default command;
