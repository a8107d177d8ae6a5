import { InteractionContextType, MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/bot/command.ts';
import { UserError } from '../src/bot/errors.ts';
import { fitItems, jobLine } from '../src/bot/format.ts';
import { MESSAGE_LIMIT } from '../src/bot/text.ts';
import { readTrainParams, readTrainProgress, type TrainParams } from '../src/training/types.ts';
import type { JsonObject } from '../src/storage/index.ts';

// /jobs: this server's training queue — running jobs with their progress, then waiting ones in the
// order they will run. Ephemeral: only the one who asked needs it.

const command = {
  data: new SlashCommandBuilder()
    .setName('jobs')
    .setDescription('Training jobs waiting or running in this server')
    .setContexts(InteractionContextType.Guild),
  async execute(interaction, context) {
    if (!interaction.inGuild()) throw new UserError('The training queue belongs to a server: use /jobs in a server channel.');
    const jobs = await context.queue.listByGuild(interaction.guildId, { states: ['queued', 'running'], limit: 100 });
    if (jobs.length === 0) {
      await interaction.reply({
        content: 'No training jobs are waiting or running in this server. Start one with `/train melody:nabiya`.',
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
      return;
    }
    const running = jobs.filter((job) => job.state === 'running').sort((a, b) => a.id - b.id);
    const waiting = await Promise.all(jobs.filter((job) => job.state === 'queued').map(async (job) => ({ job, position: await context.queue.position(job.id) })));
    waiting.sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity));
    const lines = [
      ...running.map((job) => jobLine(job, paramsOf(job.params), readTrainProgress(job.progress), null)),
      ...waiting.map(({ job, position }) => jobLine(job, paramsOf(job.params), readTrainProgress(job.progress), position)),
    ];
    const head = `🦋 **Training queue** · ${running.length} running, ${waiting.length} waiting · \`/cancel job:<id>\` stops one of yours`;
    await interaction.reply({
      content: `${head}\n${fitItems(lines, MESSAGE_LIMIT - head.length - 1, '\n')}`,
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
  },
} satisfies Command;

function paramsOf(json: JsonObject): TrainParams | null {
  try {
    return readTrainParams(json);
  } catch {
    return null;
  }
}

export const { data, execute } = command;
export default command;
