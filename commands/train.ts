import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/bot/command.ts';
import { UserError } from '../src/bot/errors.ts';
import { melodyName } from '../src/bot/format.ts';
import { clip } from '../src/bot/text.ts';
import { MAX_WINDOW, MIN_WINDOW } from '../src/learning/dataset.ts';
import { ENGINE_NAMES, isEngineName } from '../src/learning/engine-choice.ts';
import { MAX_SEED } from '../src/learning/random.ts';
import { MODEL_NAMES } from '../models/registry.ts';
import { MemberJobLimitError } from '../src/queue/index.ts';
import { ensureMelodyRecord, requireMelody } from '../src/training/songbook.ts';
import { ALL_MODELS, isModelChoice, modelsFor, trainParamsToJson, type TrainParams } from '../src/training/types.ts';
import { answerMelodyNames } from '../src/bot/melody-autocomplete.ts';

// /train: puts a training job in the queue. The reply is deferred at once and becomes the job's
// one progress message: the publisher (src/training/publisher.ts) fills it with the job id and
// queue position, edits it as training runs, and posts the loss summary when it is done.
// model:all is ONE job that trains the tutorial's four models one after another and summarises
// them side by side.

/** How long Discord lets an interaction token edit its reply. */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60 * 1000;

export const DEFAULTS = { model: 'stateful', epochs: 2000, window: 4, untilLearned: true, seed: 5 } as const;

const data = new SlashCommandBuilder()
  .setName('train')
  .setDescription('Teach a model a melody (runs in the background; progress is shown as it goes)')
  .setContexts(InteractionContextType.Guild)
  .addStringOption((option) =>
    option.setName('melody').setDescription('Melody from the songbook (nabiya is built in)').setRequired(true).setMaxLength(100).setAutocomplete(true),
  )
  .addStringOption((option) =>
    option
      .setName('model')
      .setDescription('Which of the tutorial\'s models (default stateful); all = the four, side by side')
      .addChoices(
        { name: 'mlp — multi-layer perceptron', value: 'mlp' },
        { name: 'lstm — stateless LSTM', value: 'lstm' },
        { name: 'stateful — stateful LSTM (default)', value: 'stateful' },
        { name: 'stateful-2f — stateful LSTM, pitch and duration', value: 'stateful-2f' },
        { name: 'all — the four models, compared', value: ALL_MODELS },
      ),
  )
  .addIntegerOption((option) => option.setName('epochs').setDescription('Epochs to train at most (default 2000, as the tutorial)').setMinValue(1).setMaxValue(100_000))
  .addIntegerOption((option) =>
    option.setName('window').setDescription('Notes the model looks at to guess the next (default 4)').setMinValue(MIN_WINDOW).setMaxValue(MAX_WINDOW),
  )
  .addBooleanOption((option) => option.setName('until_learned').setDescription('Stop as soon as it sings the whole song back (default true)'))
  .addIntegerOption((option) => option.setName('seed').setDescription('Random seed (default 5, as the tutorial)').setMinValue(0).setMaxValue(MAX_SEED))
  .addStringOption((option) =>
    option
      .setName('engine')
      .setDescription("Training engine (default: the bot's, normally fast); tfjs is the reference, some 50× slower")
      .addChoices({ name: 'fast', value: 'fast' }, { name: 'tfjs (reference)', value: 'tfjs' }),
  );

const command = {
  data,
  async execute(interaction, context) {
    if (!interaction.inGuild()) throw new UserError('Training belongs to a server\'s songbook: use /train in a server channel.');
    const { storage, queue, config } = context;
    const entry = requireMelody(storage, interaction.guildId, interaction.options.getString('melody', true));

    const model = interaction.options.getString('model') ?? DEFAULTS.model;
    if (!isModelChoice(model)) throw new UserError(`There is no model \`${clip(model, 30)}\`; choose ${[...MODEL_NAMES, ALL_MODELS].join(', ')}.`);
    const epochs = interaction.options.getInteger('epochs') ?? DEFAULTS.epochs;
    if (epochs < 1 || epochs > config.limits.maxEpochs) throw new UserError(`epochs must be from 1 to ${config.limits.maxEpochs} on this bot.`);
    const window = interaction.options.getInteger('window') ?? DEFAULTS.window;
    if (window < MIN_WINDOW || window > MAX_WINDOW) throw new UserError(`window must be from ${MIN_WINDOW} to ${MAX_WINDOW}.`);
    const seed = interaction.options.getInteger('seed') ?? DEFAULTS.seed;
    if (seed < 0 || seed > MAX_SEED) throw new UserError(`seed must be from 0 to ${MAX_SEED}.`);
    const untilLearned = interaction.options.getBoolean('until_learned') ?? DEFAULTS.untilLearned;
    const engine = interaction.options.getString('engine') ?? config.trainingEngine;
    if (!isEngineName(engine)) throw new UserError(`There is no engine \`${clip(engine, 30)}\`; choose ${ENGINE_NAMES.join(' or ')}.`);

    const events = entry.melody.events;
    if (events.length < window + 1) {
      throw new UserError(
        `${melodyName(entry.name)} has ${events.length} notes; with window ${window} a model needs at least ${window + 1} (${window} to look at, 1 to guess). Use a smaller window or a longer melody.`,
      );
    }
    if (!events.some((event) => event.kind === 'note')) throw new UserError(`${melodyName(entry.name)} has only rests: there is nothing to learn.`);

    // Checked before deferring so that the refusal stays private; the queue checks again atomically.
    const active = storage.jobs.countActiveForMember(interaction.guildId, interaction.user.id);
    if (active >= config.limits.maxJobsPerMember) throw new MemberJobLimitError(config.limits.maxJobsPerMember, active);

    const record = ensureMelodyRecord(storage, interaction.guildId, entry);
    const params: TrainParams = { model, models: modelsFor(model), epochs, window, untilLearned, seed, engine };

    const response = await interaction.deferReply({ withResponse: true });
    const { job } = await queue.enqueue({
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      memberId: interaction.user.id,
      melodyId: record.id,
      melodyName: record.name,
      params: trainParamsToJson(params),
      interactionToken: interaction.token,
      interactionExpiresAt: interaction.createdTimestamp + INTERACTION_TOKEN_TTL_MS,
    });
    const messageId = response.resource?.message?.id ?? response.interaction.responseMessageId;
    if (messageId && storage.jobs.get(job.id)?.progressMessageId === null) storage.jobs.setProgressMessage(job.id, messageId);
  },
  autocomplete: (interaction, context) => answerMelodyNames(interaction, context.storage, 'melody'),
} satisfies Command;

export const { execute, autocomplete } = command;
export { data };
export default command;
