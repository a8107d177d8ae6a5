import {
  InteractionResponseType,
  MessageFlags,
  MessageType,
  type APIApplicationCommand,
  type APIApplicationCommandOptionChoice,
} from 'discord.js';
import {
  alreadyAcknowledged,
  HttpError,
  invalidFormBody,
  invalidWebhookToken,
  unauthorized,
  unknownChannel,
  unknownInteraction,
  unknownMember,
  unknownMessage,
  unknownWebhook,
} from './http-error.ts';
import type { InteractionState } from './interactions.ts';
import { LIMITS, type MessageStore } from './messages.ts';
import { snowflake } from './snowflake.ts';
import type { FakeChannel, FakeGuild, RecordedFile, RouteName, SentMessage, StoredMessage } from './types.ts';
import { channelPayload, guildPayload, memberPayload, userPayload, type World } from './world.ts';

// The REST routes discord.js uses, with Discord's rules where a bot could get them wrong:
// bot routes need "Authorization: Bot <token>"; interaction callbacks come once, within the
// deadline; webhook routes need a live interaction token; messages respect Discord's limits.

export interface RestState {
  readonly world: World;
  readonly messages: MessageStore;
  readonly interactions: Map<string, InteractionState>;
  /** Registered commands: key "global" or a guild id. */
  readonly commands: Map<string, APIApplicationCommand[]>;
  readonly callbackDeadlineMs: number;
  readonly gatewayUrl: () => string;
}

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly files: readonly RecordedFile[];
}

export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  /** Raw bytes instead of JSON (attachments). */
  readonly raw?: { readonly data: Buffer; readonly contentType: string };
  readonly message?: SentMessage | null;
  readonly callbackType?: InteractionResponseType | null;
  readonly choices?: readonly APIApplicationCommandOptionChoice[] | null;
  readonly interactionId?: string | null;
}

interface Route {
  readonly name: RouteName;
  readonly method: string;
  readonly segments: readonly string[];
  /** Whether the bot token is required (interaction callback and webhook routes use their own token). */
  readonly auth: boolean;
  readonly handle: (request: RouteRequest, state: RestState) => RouteResult;
}

const BOT_ROUTES = new Set<RouteName>([
  'GET /gateway/bot',
  'GET /users/@me',
  'GET /applications/@me',
  'GET /applications/:app/commands',
  'PUT /applications/:app/commands',
  'GET /applications/:app/guilds/:guild/commands',
  'PUT /applications/:app/guilds/:guild/commands',
  'GET /channels/:channel',
  'POST /channels/:channel/messages',
  'GET /channels/:channel/messages/:message',
  'PATCH /channels/:channel/messages/:message',
  'DELETE /channels/:channel/messages/:message',
  'GET /guilds/:guild',
  'GET /guilds/:guild/members/:user',
]);

const HANDLERS: Readonly<Record<RouteName, Route['handle']>> = {
  'GET /gateway': (_request, state) => ok({ url: state.gatewayUrl() }),
  'GET /gateway/bot': (_request, state) =>
    ok({
      url: state.gatewayUrl(),
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
    }),
  'GET /users/@me': (_request, state) => ok({ ...userPayload(state.world.bot), verified: true, mfa_enabled: false, flags: 0 }),
  'GET /applications/@me': (_request, state) =>
    ok({ id: state.world.applicationId, name: state.world.bot.username, description: '', bot: userPayload(state.world.bot), flags: 0, bot_public: false }),
  'GET /applications/:app/commands': (request, state) => ok(commandList(request, state, 'global')),
  'PUT /applications/:app/commands': (request, state) => ok(replaceCommands(request, state, null)),
  'GET /applications/:app/guilds/:guild/commands': (request, state) => ok(commandList(request, state, guildOf(request, state).id)),
  'PUT /applications/:app/guilds/:guild/commands': (request, state) => ok(replaceCommands(request, state, guildOf(request, state).id)),
  'POST /interactions/:interaction/:token/callback': interactionCallback,
  'POST /webhooks/:app/:token': (request, state) => {
    const interaction = webhookInteraction(request, state);
    if (interaction.callbackType === null) throw unknownWebhook();
    const body = messageBody(request.body);
    const stored = state.messages.create({
      channelId: interaction.channelId,
      guildId: interaction.guildId,
      author: state.world.bot,
      body,
      files: request.files,
      webhookId: state.world.applicationId,
      interactionId: interaction.id,
      interactionMetadata: metadataOf(interaction),
    });
    interaction.followUps.add(stored.message.id);
    const result = { message: body, interactionId: interaction.id };
    return request.query.wait === 'true' ? { status: 200, body: stored.message, ...result } : { status: 204, ...result };
  },
  'GET /webhooks/:app/:token/messages/:message': (request, state) => {
    const interaction = webhookInteraction(request, state);
    return { ...ok(webhookMessage(request, state, interaction).message), interactionId: interaction.id };
  },
  'PATCH /webhooks/:app/:token/messages/:message': (request, state) => {
    const interaction = webhookInteraction(request, state);
    const target = webhookMessage(request, state, interaction);
    const body = messageBody(request.body);
    // The edit that answers a deferral ends the "thinking…" state.
    const edited = state.messages.edit(target.message.id, body, request.files, { clearFlags: MessageFlags.Loading });
    return { ...ok(edited.message), message: body, interactionId: interaction.id };
  },
  'DELETE /webhooks/:app/:token/messages/:message': (request, state) => {
    const interaction = webhookInteraction(request, state);
    state.messages.delete(webhookMessage(request, state, interaction).message.id);
    return { status: 204, interactionId: interaction.id };
  },
  'GET /channels/:channel': (request, state) => ok(channelPayload(channelOf(request, state).channel, state.world.bot.id)),
  'POST /channels/:channel/messages': (request, state) => {
    const { channel } = channelOf(request, state);
    const body = messageBody(request.body);
    const stored = state.messages.create({ channelId: channel.id, guildId: channel.guildId, author: state.world.bot, body, files: request.files });
    return { ...ok(stored.message), message: body };
  },
  'GET /channels/:channel/messages/:message': (request, state) => ok(channelMessage(request, state).message),
  'PATCH /channels/:channel/messages/:message': (request, state) => {
    const target = channelMessage(request, state);
    if (target.message.author.id !== state.world.bot.id) throw new HttpError(403, 50005, 'Cannot edit a message authored by another user');
    const body = messageBody(request.body);
    return { ...ok(state.messages.edit(target.message.id, body, request.files).message), message: body };
  },
  'DELETE /channels/:channel/messages/:message': (request, state) => {
    state.messages.delete(channelMessage(request, state).message.id);
    return { status: 204 };
  },
  'GET /guilds/:guild': (request, state) => ok(guildPayload(guildOf(request, state), state.world)),
  'GET /guilds/:guild/members/:user': (request, state) => {
    const guild = guildOf(request, state);
    const member = guild.members.find((candidate) => candidate.user.id === request.params.user);
    if (!member) throw unknownMember();
    return ok(memberPayload(member));
  },
  'GET /attachments/:channel/:attachment/:filename': (request, state) => {
    const file = state.messages.attachment(request.params.channel ?? '', request.params.attachment ?? '');
    if (!file) throw new HttpError(404, 0, '404: Not Found');
    return { status: 200, raw: { data: file.data, contentType: file.contentType } };
  },
};

export const ROUTES: readonly Route[] = (Object.keys(HANDLERS) as RouteName[]).map((name) => {
  const [method = 'GET', template = '/'] = name.split(' ');
  return { name, method, segments: template.split('/'), auth: BOT_ROUTES.has(name), handle: HANDLERS[name] };
});

/** Decodes each path segment (discord.js encodes "@" and tokens) before matching. */
export function decodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
}

/** `path` must be decoded (decodePath). */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  const segments = path.split('/');
  for (const route of ROUTES) {
    if (route.method !== method || route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = route.segments.every((template, index) => {
      const segment = segments[index] ?? '';
      if (!template.startsWith(':')) return template === segment;
      params[template.slice(1)] = segment;
      return segment !== '';
    });
    if (matches) return { route, params };
  }
  return null;
}

/** The interaction a callback or webhook request belongs to, also when it was refused. */
export function interactionIdFor(route: RouteName, params: Readonly<Record<string, string>>, state: RestState): string | null {
  if (route === 'POST /interactions/:interaction/:token/callback') return state.interactions.has(params.interaction ?? '') ? (params.interaction ?? null) : null;
  if (!route.includes('/webhooks/')) return null;
  return [...state.interactions.values()].find((interaction) => interaction.token === params.token)?.id ?? null;
}

export function checkAuth(route: Route, authorization: string | null, state: RestState): void {
  if (route.auth && authorization !== `Bot ${state.world.token}`) throw unauthorized();
}

// ---------------------------------------------------------------------------------------------

function ok(body: unknown): RouteResult {
  return { status: 200, body };
}

function guildOf(request: RouteRequest, state: RestState): FakeGuild {
  const guild = state.world.guilds.find((candidate) => candidate.id === request.params.guild);
  if (!guild) throw new HttpError(404, 10004, 'Unknown Guild');
  return guild;
}

function channelOf(request: RouteRequest, state: RestState): { guild: FakeGuild; channel: FakeChannel } {
  for (const guild of state.world.guilds) {
    const channel = guild.channels.find((candidate) => candidate.id === request.params.channel);
    if (channel) return { guild, channel };
  }
  throw unknownChannel();
}

function channelMessage(request: RouteRequest, state: RestState): StoredMessage {
  const { channel } = channelOf(request, state);
  const stored = state.messages.get(request.params.message ?? '');
  if (!stored || stored.deleted || stored.message.channel_id !== channel.id) throw unknownMessage();
  return stored;
}

function messageBody(body: unknown): SentMessage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidFormBody('_body', 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
  return body as SentMessage;
}

function checkApplication(request: RouteRequest, state: RestState): void {
  if (request.params.app !== state.world.applicationId) throw new HttpError(404, 10002, 'Unknown Application');
}

function commandList(request: RouteRequest, state: RestState, key: string): APIApplicationCommand[] {
  checkApplication(request, state);
  return state.commands.get(key) ?? [];
}

function replaceCommands(request: RouteRequest, state: RestState, guildId: string | null): APIApplicationCommand[] {
  checkApplication(request, state);
  if (!Array.isArray(request.body)) throw invalidFormBody('_body', 'LIST_TYPE_CONVERT', 'Must be an array.');
  const key = guildId ?? 'global';
  const previous = state.commands.get(key) ?? [];
  const names = new Set<string>();
  const commands = (request.body as Record<string, unknown>[]).map((command, index): APIApplicationCommand => {
    const name = command.name;
    const type = typeof command.type === 'number' ? command.type : 1;
    if (typeof name !== 'string' || !/^[-_\p{L}\p{N}]{1,32}$/u.test(name) || name !== name.toLowerCase()) {
      throw invalidFormBody(`${index}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    }
    if (type === 1 && (typeof command.description !== 'string' || command.description.length < 1 || command.description.length > 100)) {
      throw invalidFormBody(`${index}.description`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
    if (names.has(name)) throw invalidFormBody(`${index}.name`, 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
    names.add(name);
    // Discord keeps a command's id when it is overwritten under the same name.
    const id = previous.find((existing) => existing.name === name)?.id ?? snowflake();
    return {
      default_member_permissions: null,
      nsfw: false,
      ...command,
      id,
      application_id: state.world.applicationId,
      type,
      version: snowflake(),
      ...(guildId ? { guild_id: guildId } : {}),
    } as APIApplicationCommand;
  });
  state.commands.set(key, commands);
  return commands;
}

function metadataOf(interaction: InteractionState): Record<string, unknown> {
  return {
    id: interaction.id,
    type: interaction.kind === 'button' ? 3 : 2,
    user: userPayload(interaction.member.user),
    authorizing_integration_owners: { '0': interaction.guildId },
    ...(interaction.kind === 'button' ? { interacted_message_id: interaction.componentMessageId } : {}),
  };
}

const ALLOWED_CALLBACKS: Readonly<Record<InteractionState['kind'], readonly InteractionResponseType[]>> = {
  command: [InteractionResponseType.ChannelMessageWithSource, InteractionResponseType.DeferredChannelMessageWithSource, InteractionResponseType.Modal],
  autocomplete: [InteractionResponseType.ApplicationCommandAutocompleteResult],
  button: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
    InteractionResponseType.Modal,
  ],
};

function interactionCallback(request: RouteRequest, state: RestState): RouteResult {
  const interaction = state.interactions.get(request.params.interaction ?? '');
  if (!interaction || interaction.token !== request.params.token) throw unknownInteraction();
  if (interaction.callbackType !== null) throw alreadyAcknowledged();
  if (Date.now() - interaction.createdAt > state.callbackDeadlineMs) throw unknownInteraction();
  const body = request.body as { type?: unknown; data?: unknown } | null;
  const type = body?.type as InteractionResponseType;
  if (!ALLOWED_CALLBACKS[interaction.kind].includes(type)) {
    throw invalidFormBody('type', 'INTERACTION_RESPONSE_TYPE_INVALID', `Response type ${String(body?.type)} is not valid for a ${interaction.kind} interaction`);
  }
  const data = (body?.data ?? {}) as SentMessage;
  let message: SentMessage | null = null;
  let choices: APIApplicationCommandOptionChoice[] | null = null;
  let resource: StoredMessage | null = null;

  switch (type) {
    case InteractionResponseType.ChannelMessageWithSource:
      message = data;
      resource = createReply(interaction, state, data, request.files, false);
      break;
    case InteractionResponseType.DeferredChannelMessageWithSource:
      message = data;
      resource = createReply(interaction, state, { flags: ((data.flags ?? 0) & MessageFlags.Ephemeral) | MessageFlags.Loading }, [], true);
      break;
    case InteractionResponseType.DeferredMessageUpdate:
      interaction.originalMessageId = interaction.componentMessageId;
      break;
    case InteractionResponseType.UpdateMessage:
      message = data;
      interaction.originalMessageId = interaction.componentMessageId;
      resource = state.messages.edit(interaction.componentMessageId ?? '', data, request.files);
      break;
    case InteractionResponseType.ApplicationCommandAutocompleteResult: {
      choices = ((data as { choices?: APIApplicationCommandOptionChoice[] }).choices ?? []) as APIApplicationCommandOptionChoice[];
      if (choices.length > LIMITS.choices) throw invalidFormBody('data.choices', 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.choices} or fewer in length.`);
      const long = choices.findIndex((choice) => choice.name.length < 1 || choice.name.length > LIMITS.choiceName);
      if (long >= 0) throw invalidFormBody(`data.choices.${long}.name`, 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.choiceName} in length.`);
      break;
    }
    default:
      break;
  }
  interaction.callbackType = type;

  const result = { message, callbackType: type, choices, interactionId: interaction.id };
  if (request.query.with_response !== 'true') return { status: 204, ...result };
  return {
    status: 200,
    body: {
      interaction: {
        id: interaction.id,
        type: interaction.kind === 'command' ? 2 : interaction.kind === 'autocomplete' ? 4 : 3,
        activity_instance_id: null,
        response_message_id: interaction.originalMessageId,
        response_message_loading: type === InteractionResponseType.DeferredChannelMessageWithSource,
        response_message_ephemeral: resource ? ((resource.message.flags ?? 0) & MessageFlags.Ephemeral) !== 0 : false,
      },
      resource: { type, ...(resource ? { message: resource.message } : {}) },
    },
    ...result,
  };
}

function createReply(interaction: InteractionState, state: RestState, body: SentMessage, files: readonly RecordedFile[], deferred: boolean): StoredMessage {
  const stored = state.messages.create({
    channelId: interaction.channelId,
    guildId: interaction.guildId,
    author: state.world.bot,
    body,
    files,
    type: interaction.kind === 'command' ? MessageType.ChatInputCommand : MessageType.Default,
    webhookId: state.world.applicationId,
    interactionId: interaction.id,
    interactionMetadata: metadataOf(interaction),
    allowEmpty: deferred,
  });
  interaction.originalMessageId = stored.message.id;
  return stored;
}

function webhookInteraction(request: RouteRequest, state: RestState): InteractionState {
  if (request.params.app !== state.world.applicationId) throw unknownWebhook();
  const interaction = [...state.interactions.values()].find((candidate) => candidate.token === request.params.token);
  if (!interaction || Date.now() >= interaction.expiresAt) throw invalidWebhookToken();
  return interaction;
}

function webhookMessage(request: RouteRequest, state: RestState, interaction: InteractionState): StoredMessage {
  const wanted = request.params.message === '@original' ? interaction.originalMessageId : (request.params.message ?? null);
  const isOwn = wanted !== null && (wanted === interaction.originalMessageId || interaction.followUps.has(wanted));
  const stored = wanted === null ? undefined : state.messages.get(wanted);
  if (!isOwn || !stored || stored.deleted) throw unknownMessage();
  return stored;
}
