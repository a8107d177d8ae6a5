import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/bot/command.ts';
import { UserError } from '../src/bot/errors.ts';
import { melodyName } from '../src/bot/format.ts';
import { clip } from '../src/bot/text.ts';
import { readTrainParams } from '../src/training/types.ts';

// /cancel job: stops one's own training job (Manage Server: anyone's). The job id autocompletes
// from the jobs the member may cancel. The job's progress message shows the outcome; the reply
// here is private.

const command = {
  data: new SlashCommandBuilder()
    .setName('cancel')
    .setDescription('Cancel one of your training jobs (Manage Server: any job)')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((option) => option.setName('job').setDescription('Job id, as shown by /jobs (e.g. 12)').setRequired(true).setMaxLength(20).setAutocomplete(true)),
  async execute(interaction, context) {
    if (!interaction.inGuild()) throw new UserError('Use /cancel in the server where the job runs.');
    const raw = interaction.options.getString('job', true).trim();
    const match = /^#?(\d{1,15})$/.exec(raw);
    if (!match) throw new UserError(`\`${clip(raw.replace(/`/g, "'"), 20)}\` is not a job id; give the number /jobs shows, e.g. \`12\`.`);
    const id = Number(match[1]);
    const job = await context.queue.get(id);
    // Another server's job is "not found" here: its existence is none of this server's business.
    if (!job || job.guildId !== interaction.guildId) throw new UserError(`There is no job #${id} in this server. See /jobs.`);
    const manager = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) === true;
    if (job.memberId !== interaction.user.id && !manager) {
      throw new UserError(`Job #${id} was started by <@${job.memberId}>; only they or a member with Manage Server can cancel it.`);
    }
    const outcome = await context.queue.cancel(id);
    let content: string;
    switch (outcome.status) {
      case 'cancelled':
        content = `🚫 Cancelled job #${id} (${melodyName(job.melodyName)}) before it started.`;
        break;
      case 'stopping':
        content = `🚫 Stopping job #${id} (${melodyName(job.melodyName)}); it ends after the current step.`;
        break;
      case 'already-finished':
        content = `Job #${id} had already ended (${outcome.job.state}).`;
        break;
      case 'not-found':
        content = `There is no job #${id} any more.`;
        break;
    }
    await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
  async autocomplete(interaction, context) {
    if (!interaction.inGuild()) return interaction.respond([]);
    const typed = String(interaction.options.getFocused()).replace(/^#/, '').trim();
    const manager = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) === true;
    const jobs = (await context.queue.listByGuild(interaction.guildId, { states: ['queued', 'running'], limit: 100 }))
      .filter((job) => manager || job.memberId === interaction.user.id)
      .filter((job) => String(job.id).startsWith(typed))
      .slice(0, 25);
    return interaction.respond(
      jobs.map((job) => {
        let model = '?';
        try {
          model = readTrainParams(job.params).model;
        } catch {
          // shown as "?"
        }
        const label = `#${job.id} ${job.melodyName} · ${model} · ${job.state === 'running' ? 'running' : 'waiting'}`;
        return { name: clip(label, 100), value: String(job.id) };
      }),
    );
  },
} satisfies Command;

export const { data, execute, autocomplete } = command;
export default command;
