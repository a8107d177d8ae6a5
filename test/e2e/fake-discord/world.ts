import { ChannelType, PermissionFlagsBits, type APIAttachment, type APIMessage, type APIUser, MessageType } from 'discord.js';
import { snowflake } from './snowflake.ts';
import type { FakeChannel, FakeDiscordOptions, FakeGuild, FakeGuildSpec, FakeMember, FakeRole, FakeUser, SentMessage } from './types.ts';

// The fake's world (guilds, channels, members, the bot user) built from the options, and the
// raw API payloads discord.js expects for them.

/** Shaped like a real bot token (three dot-separated base64url parts) so config validation accepts it. */
export const FAKE_TOKEN = 'MTExMTExMTExMTExMTExMTEx.FakeFk.fake-discord-token-for-tests-only-0000';
export const FAKE_APPLICATION_ID = '111111111111111111';

/** What @everyone may do in the fake guilds: an ordinary member. */
export const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.UseApplicationCommands |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.Speak;

const JOINED_AT = '2024-01-01T00:00:00.000Z';

export interface World {
  readonly token: string;
  readonly applicationId: string;
  readonly bot: FakeUser;
  readonly guilds: readonly FakeGuild[];
}

export function buildWorld(options: FakeDiscordOptions): World {
  const applicationId = options.applicationId ?? FAKE_APPLICATION_ID;
  return {
    token: options.token ?? FAKE_TOKEN,
    applicationId,
    bot: { id: applicationId, username: options.botUsername ?? 'Nabi', globalName: null, bot: true },
    guilds: (options.guilds ?? [{}]).map(buildGuild),
  };
}

function buildGuild(spec: FakeGuildSpec): FakeGuild {
  const id = spec.id ?? snowflake();
  const everyone: FakeRole = { id, name: '@everyone', permissions: EVERYONE_PERMISSIONS };
  const roles: FakeRole[] = [everyone];
  const memberSpecs = spec.members ?? [{ username: 'alice' }, { username: 'bob', permissions: PermissionFlagsBits.ManageGuild }];
  if (memberSpecs.length === 0) throw new Error('A fake guild needs at least one member');
  const members: FakeMember[] = memberSpecs.map((memberSpec) => {
    const user: FakeUser = { id: memberSpec.id ?? snowflake(), username: memberSpec.username, globalName: memberSpec.globalName ?? null, bot: false };
    const roleIds: string[] = [];
    let permissions = EVERYONE_PERMISSIONS;
    if (memberSpec.permissions !== undefined && (memberSpec.permissions & ~EVERYONE_PERMISSIONS) !== 0n) {
      // Extra permissions come from a role of the member's own, as they would on a real server.
      const role: FakeRole = { id: snowflake(), name: `${memberSpec.username}-role`, permissions: memberSpec.permissions };
      roles.push(role);
      roleIds.push(role.id);
      permissions |= memberSpec.permissions;
    }
    return { user, nick: memberSpec.nick ?? null, permissions, roleIds };
  });
  const channels: FakeChannel[] = (
    spec.channels ?? [
      { name: 'general', type: 'text' },
      { name: 'Music', type: 'voice' },
    ]
  ).map((channel) => ({
    id: channel.id ?? snowflake(),
    guildId: id,
    name: channel.name,
    type: channel.type === 'voice' ? ChannelType.GuildVoice : ChannelType.GuildText,
    botDeny: channel.botDeny ?? 0n,
  }));
  const textChannel = channels.find((channel) => channel.type === ChannelType.GuildText);
  if (!textChannel) throw new Error('A fake guild needs at least one text channel');
  const owner = spec.ownerUsername === undefined ? members.at(-1) : members.find((m) => m.user.username === spec.ownerUsername);
  if (!owner) throw new Error(`No member named ${spec.ownerUsername} to own the guild`);
  return {
    id,
    name: spec.name ?? 'Nabi Test Server',
    ownerId: owner.user.id,
    channels,
    members,
    roles,
    textChannel,
    voiceChannel: channels.find((channel) => channel.type === ChannelType.GuildVoice) ?? null,
    member(usernameOrId: string): FakeMember {
      const found = members.find((m) => m.user.username === usernameOrId || m.user.id === usernameOrId);
      if (!found) throw new Error(`No member ${usernameOrId} in guild ${id}; members: ${members.map((m) => m.user.username).join(', ')}`);
      return found;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Payloads

export function userPayload(user: FakeUser): APIUser {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName,
    avatar: null,
    ...(user.bot ? { bot: true } : {}),
  };
}

export function memberPayload(member: FakeMember, permissions?: bigint): Record<string, unknown> {
  return {
    user: userPayload(member.user),
    nick: member.nick,
    avatar: null,
    roles: member.roleIds,
    joined_at: JOINED_AT,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
    ...(permissions === undefined ? {} : { permissions: permissions.toString() }),
  };
}

export function channelPayload(channel: FakeChannel, botId?: string): Record<string, unknown> {
  const base = {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    name: channel.name,
    position: 0,
    permission_overwrites:
      channel.botDeny !== 0n && botId !== undefined ? [{ id: botId, type: 1, allow: '0', deny: channel.botDeny.toString() }] : [],
    parent_id: null,
    nsfw: false,
    flags: 0,
  };
  return channel.type === ChannelType.GuildVoice
    ? { ...base, bitrate: 64000, user_limit: 0, rtc_region: null }
    : { ...base, topic: null, last_message_id: null, rate_limit_per_user: 0 };
}

function rolePayload(role: FakeRole, position: number): Record<string, unknown> {
  return {
    id: role.id,
    name: role.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: role.permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

export function guildPayload(guild: FakeGuild, world: World, voiceStates: readonly Record<string, unknown>[] = []): Record<string, unknown> {
  const botMember: FakeMember = { user: world.bot, nick: null, permissions: EVERYONE_PERMISSIONS, roleIds: [] };
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    roles: guild.roles.map(rolePayload),
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    // GUILD_CREATE-only fields
    joined_at: JOINED_AT,
    large: false,
    unavailable: false,
    member_count: guild.members.length + 1,
    voice_states: voiceStates,
    members: [...guild.members, botMember].map((member) => memberPayload(member)),
    channels: guild.channels.map((channel) => channelPayload(channel, world.bot.id)),
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export interface MessageInit {
  readonly id?: string;
  readonly channelId: string;
  readonly guildId: string | null;
  readonly author: FakeUser;
  readonly body: SentMessage;
  readonly attachments: readonly APIAttachment[];
  readonly type?: MessageType;
  /** Set for interaction replies and follow-ups (they are sent through the app's webhook). */
  readonly webhookId?: string;
  readonly interactionMetadata?: Record<string, unknown>;
}

export function messagePayload(init: MessageInit): APIMessage {
  const { body } = init;
  return {
    id: init.id ?? snowflake(),
    channel_id: init.channelId,
    ...(init.guildId ? { guild_id: init.guildId } : {}),
    author: userPayload(init.author),
    content: body.content ?? '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: body.tts ?? false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [...init.attachments],
    embeds: (body.embeds ?? []) as APIMessage['embeds'],
    components: (body.components ?? []) as APIMessage['components'],
    pinned: false,
    type: init.type ?? MessageType.Default,
    flags: body.flags ?? 0,
    ...(init.webhookId ? { webhook_id: init.webhookId, application_id: init.webhookId } : {}),
    ...(init.interactionMetadata ? { interaction_metadata: init.interactionMetadata } : {}),
  } as APIMessage;
}
