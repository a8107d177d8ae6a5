import type {
  APIAllowedMentions,
  APIApplicationCommandOptionChoice,
  APIAttachment,
  APIEmbed,
  APIMessage,
  ChannelType,
  InteractionResponseType,
} from 'discord.js';

// Public types of the fake Discord: how to describe the world it serves, what it records, and
// how to describe an interaction to send.

// ---------------------------------------------------------------------------------------------
// The world

export interface FakeUserSpec {
  readonly id?: string;
  readonly username: string;
  readonly globalName?: string;
}

export interface FakeMemberSpec extends FakeUserSpec {
  /** Permissions on top of @everyone's (e.g. PermissionFlagsBits.ManageGuild). */
  readonly permissions?: bigint;
  readonly nick?: string;
}

export interface FakeChannelSpec {
  readonly id?: string;
  readonly name: string;
  /** Default 'text'. */
  readonly type?: 'text' | 'voice';
  /** Permissions the bot is denied in this channel (a member overwrite), e.g. Connect or Speak. */
  readonly botDeny?: bigint;
}

export interface FakeGuildSpec {
  readonly id?: string;
  readonly name?: string;
  /** Default: #general (text) and Music (voice). */
  readonly channels?: readonly FakeChannelSpec[];
  /** Default: alice (ordinary member) and bob (Manage Server, owner). */
  readonly members?: readonly FakeMemberSpec[];
  /** Default: the last member. */
  readonly ownerUsername?: string;
}

export interface FakeDiscordOptions {
  /** The only token the fake accepts; default FAKE_TOKEN (shaped like a real one). */
  readonly token?: string;
  /** Also the bot user's id. Default: a fixed snowflake. */
  readonly applicationId?: string;
  readonly botUsername?: string;
  /** Default: one guild (see FakeGuildSpec defaults). */
  readonly guilds?: readonly FakeGuildSpec[];
  /** Sent in HELLO. Default 41250 ms, as Discord. */
  readonly heartbeatIntervalMs?: number;
  /** How long an interaction token can use the webhook routes. Default 15 minutes, as Discord. */
  readonly interactionTokenTtlMs?: number;
  /** How long the bot has to call the interaction callback. Default 3000 ms, as Discord. */
  readonly callbackDeadlineMs?: number;
  /**
   * Where the bot's voice connections go: VOICE_SERVER_UPDATE's endpoint (host:port, as Discord
   * sends it) and token, after the bot's op 4. Default none: op 4 gets VOICE_STATE_UPDATE only, and
   * the bot's connection never gets further (a voice server that does not answer).
   */
  readonly voiceServer?: FakeVoiceServerInfo | null;
}

export interface FakeVoiceServerInfo {
  readonly endpoint: string;
  readonly token: string;
}

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  readonly globalName: string | null;
  readonly bot: boolean;
}

export interface FakeMember {
  readonly user: FakeUser;
  readonly nick: string | null;
  /** Effective guild permissions (@everyone plus the member's own role). */
  readonly permissions: bigint;
  readonly roleIds: readonly string[];
}

export interface FakeChannel {
  readonly id: string;
  readonly guildId: string;
  readonly name: string;
  readonly type: ChannelType.GuildText | ChannelType.GuildVoice;
  /** Permissions the bot is denied here (0n: none). */
  readonly botDeny: bigint;
}

export interface FakeRole {
  readonly id: string;
  readonly name: string;
  readonly permissions: bigint;
}

export interface FakeGuild {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly channels: readonly FakeChannel[];
  readonly members: readonly FakeMember[];
  readonly roles: readonly FakeRole[];
  /** The first text channel. */
  readonly textChannel: FakeChannel;
  /** The first voice channel, if any. */
  readonly voiceChannel: FakeChannel | null;
  member(usernameOrId: string): FakeMember;
}

// ---------------------------------------------------------------------------------------------
// What the fake records

export const REST_ROUTES = [
  'GET /gateway',
  'GET /gateway/bot',
  'GET /users/@me',
  'GET /applications/@me',
  'GET /applications/:app/commands',
  'PUT /applications/:app/commands',
  'GET /applications/:app/guilds/:guild/commands',
  'PUT /applications/:app/guilds/:guild/commands',
  'POST /interactions/:interaction/:token/callback',
  'POST /webhooks/:app/:token',
  'GET /webhooks/:app/:token/messages/:message',
  'PATCH /webhooks/:app/:token/messages/:message',
  'DELETE /webhooks/:app/:token/messages/:message',
  'GET /channels/:channel',
  'POST /channels/:channel/messages',
  'GET /channels/:channel/messages/:message',
  'PATCH /channels/:channel/messages/:message',
  'DELETE /channels/:channel/messages/:message',
  'GET /guilds/:guild',
  'GET /guilds/:guild/members/:user',
  'GET /attachments/:channel/:attachment/:filename',
] as const;

export type RouteName = (typeof REST_ROUTES)[number];

/** A file uploaded in a multipart body (files[n]) or served as an attachment. */
export interface RecordedFile {
  /** Form field, e.g. "files[0]". */
  readonly field: string;
  readonly name: string;
  readonly contentType: string;
  readonly data: Buffer;
}

/** The message fields of a create/edit body (callback data, webhook or channel message body). */
export interface SentMessage {
  readonly content?: string;
  readonly flags?: number;
  readonly allowed_mentions?: APIAllowedMentions;
  readonly embeds?: readonly APIEmbed[];
  readonly components?: readonly unknown[];
  readonly attachments?: readonly { readonly id: string | number; readonly filename?: string; readonly description?: string }[];
  readonly tts?: boolean;
  readonly [key: string]: unknown;
}

export interface RecordedRequest {
  /** Order of arrival, from 1. */
  readonly seq: number;
  readonly at: number;
  readonly method: string;
  /** Path after /api/v10, without the query (attachments: the full path). */
  readonly path: string;
  /** Matched route, or 'unhandled' (answered 404; assert none with fake.unhandled()). */
  readonly route: RouteName | 'unhandled';
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | null;
  readonly contentType: string | null;
  /** Parsed JSON body, or the payload_json of a multipart body; null without a body. */
  readonly body: unknown;
  readonly files: readonly RecordedFile[];
  readonly status: number;
  readonly response: unknown;
  /** For routes that create or edit a message: the message fields sent. */
  readonly message: SentMessage | null;
  /** For the callback route: the interaction response type. */
  readonly callbackType: InteractionResponseType | null;
  /** For the callback route answering autocomplete: the choices. */
  readonly choices: readonly APIApplicationCommandOptionChoice[] | null;
  /** For callback and webhook routes: the interaction the token belongs to. */
  readonly interactionId: string | null;
}

export interface GatewayFrame {
  readonly at: number;
  readonly sessionId: string | null;
  readonly op: number;
  readonly d: unknown;
}

/** A message as the fake stores it (current state), with the bytes of its attachments. */
export interface StoredMessage {
  readonly message: APIMessage;
  readonly files: ReadonlyMap<string, RecordedFile>;
  readonly deleted: boolean;
  /** The interaction whose reply or follow-up this is. */
  readonly interactionId: string | null;
}

// ---------------------------------------------------------------------------------------------
// Interactions a test sends

/** An attachment option: the fake serves `data` at the attachment's url. */
export interface FakeAttachmentInput {
  readonly filename: string;
  readonly data: Uint8Array | string;
  readonly contentType?: string;
}

export type OptionInput = string | number | boolean | FakeAttachmentInput;

interface InteractionSpecBase {
  /** Default: the first guild. */
  readonly guildId?: string;
  /** Default: the guild's first text channel. */
  readonly channelId?: string;
  /** Username or id of a guild member; default the guild's first member. */
  readonly member?: string;
  /** Override the member's permissions in this interaction. */
  readonly permissions?: bigint;
  readonly locale?: string;
}

export interface ChatInputSpec extends InteractionSpecBase {
  readonly kind: 'command';
  readonly name: string;
  readonly subcommandGroup?: string;
  readonly subcommand?: string;
  /**
   * Option values by name. Types come from the registered command when there is one (and an
   * unknown option name is an error); otherwise they are inferred from the JS value.
   */
  readonly options?: Readonly<Record<string, OptionInput>>;
}

export interface AutocompleteSpec extends InteractionSpecBase {
  readonly kind: 'autocomplete';
  readonly name: string;
  readonly subcommandGroup?: string;
  readonly subcommand?: string;
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /** The option being typed; its (partial) value is options[focused], default ''. */
  readonly focused: string;
}

export interface ButtonSpec extends InteractionSpecBase {
  readonly kind: 'button';
  readonly customId: string;
  /** A stored message carrying the button; default a synthetic bot message with that button. */
  readonly messageId?: string;
}

export type InteractionSpec = ChatInputSpec | AutocompleteSpec | ButtonSpec;

export interface SentInteraction {
  readonly id: string;
  readonly token: string;
  readonly kind: InteractionSpec['kind'];
  /** The INTERACTION_CREATE payload as dispatched. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The bot's callback for this interaction (reply, defer, update, autocomplete result). */
  waitForCallback(timeoutMs?: number): Promise<RecordedRequest>;
  /** The first callback or webhook request for this interaction matching `predicate` (past or future). */
  waitForResponse(predicate?: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Callback and webhook requests for this interaction so far. */
  responses(): RecordedRequest[];
  /** The current reply message (@original), or null before there is one. */
  original(): APIMessage | null;
  /** Makes the token expire now: webhook routes answer 401 Invalid Webhook Token (50027). */
  expireToken(): void;
}

export type { APIAttachment };
