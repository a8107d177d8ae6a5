import { randomBytes } from 'node:crypto';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ButtonStyle,
  ComponentType,
  InteractionType,
  type APIApplicationCommand,
  type APIApplicationCommandOption,
  type APIAttachment,
  type APIMessage,
} from 'discord.js';
import type { MessageStore } from './messages.ts';
import { snowflake } from './snowflake.ts';
import type { AutocompleteSpec, ButtonSpec, ChatInputSpec, FakeAttachmentInput, FakeChannel, FakeGuild, FakeMember, InteractionSpec, OptionInput } from './types.ts';
import { channelPayload, memberPayload, userPayload, type World } from './world.ts';

// INTERACTION_CREATE payloads as Discord would send them. Chat-input options take their types
// from the command the bot registered (so a test cannot send an option the bot never declared,
// or leave out a required one); without a registration they are inferred from the JS values.

export interface InteractionState {
  readonly id: string;
  readonly token: string;
  readonly kind: InteractionSpec['kind'];
  readonly guildId: string;
  readonly channelId: string;
  readonly member: FakeMember;
  readonly createdAt: number;
  expiresAt: number;
  callbackType: number | null;
  originalMessageId: string | null;
  /** For buttons: the message the button is on (what UpdateMessage edits). */
  readonly componentMessageId: string | null;
  readonly followUps: Set<string>;
}

export interface BuildContext {
  readonly world: World;
  readonly messages: MessageStore;
  readonly findCommand: (name: string, guildId: string) => APIApplicationCommand | undefined;
  readonly tokenTtlMs: number;
}

export interface BuiltInteraction {
  readonly state: InteractionState;
  readonly payload: Record<string, unknown>;
}

export function buildInteraction(spec: InteractionSpec, context: BuildContext): BuiltInteraction {
  const guild = findGuild(context.world, spec.guildId);
  const channel = findChannel(guild, spec.channelId);
  const member = spec.member === undefined ? firstMember(guild) : guild.member(spec.member);
  const permissions = spec.permissions ?? member.permissions;
  const id = snowflake();
  // Shaped like Discord's: base64 of "interaction:<id>:<random>".
  const token = Buffer.from(`interaction:${id}:${randomBytes(48).toString('base64url')}`).toString('base64url');

  let type: InteractionType;
  let data: Record<string, unknown>;
  let message: APIMessage | null = null;
  if (spec.kind === 'button') {
    type = InteractionType.MessageComponent;
    data = { custom_id: spec.customId, component_type: ComponentType.Button };
    message = buttonMessage(spec, context, guild, channel);
  } else {
    type = spec.kind === 'command' ? InteractionType.ApplicationCommand : InteractionType.ApplicationCommandAutocomplete;
    data = commandData(spec, context, guild, channel);
  }

  const now = Date.now();
  const state: InteractionState = {
    id,
    token,
    kind: spec.kind,
    guildId: guild.id,
    channelId: channel.id,
    member,
    createdAt: now,
    expiresAt: now + context.tokenTtlMs,
    callbackType: null,
    originalMessageId: null,
    componentMessageId: message?.id ?? null,
    followUps: new Set(),
  };
  const payload: Record<string, unknown> = {
    id,
    application_id: context.world.applicationId,
    type,
    data,
    guild_id: guild.id,
    channel_id: channel.id,
    channel: channelPayload(channel, context.world.bot.id),
    member: memberPayload(member, permissions),
    token,
    version: 1,
    app_permissions: guild.roles[0]?.permissions.toString() ?? '0',
    locale: spec.locale ?? 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': guild.id },
    context: 0,
    attachment_size_limit: 10 * 1024 * 1024,
    ...(message ? { message } : {}),
  };
  return { state, payload };
}

function findGuild(world: World, guildId: string | undefined): FakeGuild {
  const guild = guildId === undefined ? world.guilds[0] : world.guilds.find((candidate) => candidate.id === guildId);
  if (!guild) throw new Error(`No fake guild ${guildId ?? '(none configured)'}`);
  return guild;
}

function findChannel(guild: FakeGuild, channelId: string | undefined): FakeChannel {
  if (channelId === undefined) return guild.textChannel;
  const channel = guild.channels.find((candidate) => candidate.id === channelId);
  if (!channel) throw new Error(`No channel ${channelId} in fake guild ${guild.id}`);
  return channel;
}

function firstMember(guild: FakeGuild): FakeMember {
  const member = guild.members[0];
  if (!member) throw new Error(`Fake guild ${guild.id} has no members`);
  return member;
}

function buttonMessage(spec: ButtonSpec, context: BuildContext, guild: FakeGuild, channel: FakeChannel): APIMessage {
  if (spec.messageId !== undefined) {
    const stored = context.messages.get(spec.messageId);
    if (!stored || stored.deleted) throw new Error(`No stored message ${spec.messageId} to click a button on`);
    return stored.message;
  }
  return context.messages.create({
    channelId: channel.id,
    guildId: guild.id,
    author: context.world.bot,
    body: {
      content: 'A message with a button',
      components: [
        { type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, style: ButtonStyle.Primary, custom_id: spec.customId, label: 'Button' }] },
      ],
    },
    files: [],
  }).message;
}

// ---------------------------------------------------------------------------------------------
// Command options

type DataOption = Record<string, unknown>;

interface Resolved {
  attachments?: Record<string, APIAttachment>;
  users?: Record<string, unknown>;
  members?: Record<string, unknown>;
  channels?: Record<string, unknown>;
}

function commandData(spec: ChatInputSpec | AutocompleteSpec, context: BuildContext, guild: FakeGuild, channel: FakeChannel): Record<string, unknown> {
  const registered = context.findCommand(spec.name, guild.id);
  const problems: string[] = [];
  const resolved: Resolved = {};
  let definitions: readonly APIApplicationCommandOption[] | null = registered ? (registered.options ?? []) : null;

  // Descend through subcommand group and subcommand, checking them against the registration.
  const path: { type: ApplicationCommandOptionType; name: string }[] = [];
  if (spec.subcommandGroup !== undefined) path.push({ type: ApplicationCommandOptionType.SubcommandGroup, name: spec.subcommandGroup });
  if (spec.subcommand !== undefined) path.push({ type: ApplicationCommandOptionType.Subcommand, name: spec.subcommand });
  for (const step of path) {
    if (definitions === null) continue;
    const found = definitions.find((option) => option.name === step.name && option.type === step.type);
    if (!found) {
      const offered = definitions.filter((option) => option.type === step.type).map((option) => option.name);
      throw new Error(`/${spec.name} has no ${ApplicationCommandOptionType[step.type]} "${step.name}"; registered: ${offered.join(', ') || 'none'}`);
    }
    definitions = 'options' in found ? (found.options ?? []) : [];
  }
  if (definitions !== null && path.length === 0 && definitions.some((option) => option.type === ApplicationCommandOptionType.Subcommand)) {
    throw new Error(`/${spec.name} needs a subcommand: ${definitions.map((option) => option.name).join(', ')}`);
  }

  const leafOptions: DataOption[] = [];
  const values: Readonly<Record<string, OptionInput>> = spec.options ?? {};
  const focused = spec.kind === 'autocomplete' ? spec.focused : null;
  const entries = Object.entries(values);
  if (focused !== null && !(focused in values)) entries.push([focused, '']);

  for (const [name, value] of entries) {
    const definition = definitions?.find((option) => option.name === name);
    if (definitions !== null && !definition) {
      problems.push(`unknown option "${name}" (registered: ${definitions.map((option) => option.name).join(', ') || 'none'})`);
      continue;
    }
    const type = definition?.type ?? inferType(value);
    if (name === focused) {
      leafOptions.push({ name, type, value: String(value), focused: true });
      continue;
    }
    const checked = checkValue(name, type, value, { context, guild, channel, resolved });
    if (typeof checked === 'string') problems.push(checked);
    else leafOptions.push({ name, type, value: checked.value });
  }
  if (spec.kind === 'command' && definitions !== null) {
    for (const option of definitions) {
      if ('required' in option && option.required && !(option.name in values)) problems.push(`required option "${option.name}" is missing`);
    }
  }
  if (problems.length > 0) throw new Error(`Cannot send /${[spec.name, spec.subcommandGroup, spec.subcommand].filter(Boolean).join(' ')}: ${problems.join('; ')}`);

  // Wrap the leaf options in their subcommand and group, innermost first.
  let options: DataOption[] = leafOptions;
  for (const step of [...path].reverse()) options = [{ name: step.name, type: step.type, options }];

  return {
    id: registered?.id ?? snowflake(),
    name: spec.name,
    type: ApplicationCommandType.ChatInput,
    ...(registered?.guild_id ? { guild_id: registered.guild_id } : {}),
    ...(options.length > 0 ? { options } : {}),
    ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
  };
}

function inferType(value: OptionInput): ApplicationCommandOptionType {
  if (typeof value === 'string') return ApplicationCommandOptionType.String;
  if (typeof value === 'boolean') return ApplicationCommandOptionType.Boolean;
  if (typeof value === 'number') return Number.isInteger(value) ? ApplicationCommandOptionType.Integer : ApplicationCommandOptionType.Number;
  return ApplicationCommandOptionType.Attachment;
}

function isAttachmentInput(value: OptionInput): value is FakeAttachmentInput {
  return typeof value === 'object' && value !== null && 'filename' in value;
}

function checkValue(
  name: string,
  type: ApplicationCommandOptionType,
  value: OptionInput,
  where: { context: BuildContext; guild: FakeGuild; channel: FakeChannel; resolved: Resolved },
): { value: unknown } | string {
  const expected = (what: string): string => `option "${name}" is ${ApplicationCommandOptionType[type]}: expected ${what}, got ${JSON.stringify(value)}`;
  switch (type) {
    case ApplicationCommandOptionType.String:
      return typeof value === 'string' ? { value } : expected('a string');
    case ApplicationCommandOptionType.Integer:
      return typeof value === 'number' && Number.isInteger(value) ? { value } : expected('a whole number');
    case ApplicationCommandOptionType.Number:
      return typeof value === 'number' ? { value } : expected('a number');
    case ApplicationCommandOptionType.Boolean:
      return typeof value === 'boolean' ? { value } : expected('true or false');
    case ApplicationCommandOptionType.Attachment: {
      if (!isAttachmentInput(value)) return expected('{ filename, data }');
      const attachment = where.context.messages.addUpload(where.channel.id, value);
      where.resolved.attachments = { ...where.resolved.attachments, [attachment.id]: attachment };
      return { value: attachment.id };
    }
    case ApplicationCommandOptionType.User: {
      if (typeof value !== 'string') return expected('a member username or id');
      const member = where.guild.member(value);
      where.resolved.users = { ...where.resolved.users, [member.user.id]: userPayload(member.user) };
      // Resolved members come without their user (it is in resolved.users).
      const resolvedMember = memberPayload(member, member.permissions);
      delete resolvedMember.user;
      where.resolved.members = { ...where.resolved.members, [member.user.id]: resolvedMember };
      return { value: member.user.id };
    }
    case ApplicationCommandOptionType.Channel: {
      const channel = where.guild.channels.find((candidate) => candidate.id === value || candidate.name === value);
      if (!channel) return expected('a channel name or id of the guild');
      where.resolved.channels = { ...where.resolved.channels, [channel.id]: { id: channel.id, name: channel.name, type: channel.type, permissions: '0' } };
      return { value: channel.id };
    }
    default:
      return `option "${name}" has type ${ApplicationCommandOptionType[type]}, which the fake does not support yet`;
  }
}
