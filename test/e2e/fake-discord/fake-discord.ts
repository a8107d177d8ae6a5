import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GatewayDispatchEvents, type APIApplicationCommand, type APIAttachment, type APIMessage } from 'discord.js';
import { FakeGateway, GATEWAY_PATH } from './gateway.ts';
import { parseBody, readRaw } from './http-body.ts';
import { HttpError, notFound } from './http-error.ts';
import { buildInteraction, type InteractionState } from './interactions.ts';
import { MessageStore } from './messages.ts';
import { checkAuth, decodePath, interactionIdFor, matchRoute, type RestState, type RouteResult } from './rest.ts';
import type {
  FakeAttachmentInput,
  FakeDiscordOptions,
  FakeGuild,
  FakeUser,
  FakeVoiceServerInfo,
  GatewayFrame,
  InteractionSpec,
  RecordedFile,
  RecordedRequest,
  RouteName,
  SentInteraction,
  StoredMessage,
} from './types.ts';
import { WaitTimeoutError, waitUntil } from './wait.ts';
import { buildWorld, memberPayload, type World } from './world.ts';

// A fake Discord for end-to-end tests: REST under /api/v10 and the gateway at /gateway, on one
// ephemeral port of 127.0.0.1. Point the real discord.js client at `apiBase` (rest.api /
// DISCORD_API_BASE) and it logs in, receives guilds and interactions, and replies; every REST
// request is recorded for assertions.

const API_PREFIX = '/api/v10';
const DEFAULT_WAIT_MS = 5000;

interface Waiter {
  readonly predicate: (request: RecordedRequest) => boolean;
  readonly resolve: (request: RecordedRequest) => void;
}

export class FakeDiscord {
  readonly #server: http.Server;
  readonly #world: World;
  readonly #gateway: FakeGateway;
  readonly #messages: MessageStore;
  readonly #state: RestState;
  readonly #requests: RecordedRequest[] = [];
  readonly #frames: GatewayFrame[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #sockets = new Set<Socket>();
  readonly #tokenTtlMs: number;
  /** Voice states by `${guildId}:${userId}` (members and the bot in a voice channel). */
  readonly #voiceStates = new Map<string, Record<string, unknown>>();
  #voiceServer: FakeVoiceServerInfo | null;
  #port = 0;
  #closed = false;

  /** Starts the fake on 127.0.0.1, on a port the OS picks. */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await fake.#listen();
    return fake;
  }

  private constructor(options: FakeDiscordOptions) {
    this.#world = buildWorld(options);
    this.#messages = new MessageStore(() => this.baseUrl);
    this.#state = {
      world: this.#world,
      messages: this.#messages,
      interactions: new Map<string, InteractionState>(),
      commands: new Map<string, APIApplicationCommand[]>(),
      callbackDeadlineMs: options.callbackDeadlineMs ?? 3000,
      gatewayUrl: () => this.gatewayUrl,
    };
    this.#tokenTtlMs = options.interactionTokenTtlMs ?? 15 * 60 * 1000;
    this.#voiceServer = options.voiceServer ?? null;
    this.#server = http.createServer((request, response) => void this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#gateway = new FakeGateway(this.#server, {
      world: this.#world,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      url: () => this.gatewayUrl,
      onFrame: (frame) => this.#frames.push(frame),
      onVoiceStateUpdate: (data) => this.#botVoiceStateUpdate(data),
      voiceStates: (guildId) => this.#voiceStatesOf(guildId),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Where it is and who is in it

  /** http://127.0.0.1:<port> */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The REST base without version, for rest.api / DISCORD_API_BASE. */
  get apiBase(): string {
    return `${this.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.#port}${GATEWAY_PATH}`;
  }

  get token(): string {
    return this.#world.token;
  }

  get applicationId(): string {
    return this.#world.applicationId;
  }

  get bot(): FakeUser {
    return this.#world.bot;
  }

  get guilds(): readonly FakeGuild[] {
    return this.#world.guilds;
  }

  /** The first guild. */
  get guild(): FakeGuild {
    const guild = this.#world.guilds[0];
    if (!guild) throw new Error('The fake has no guilds');
    return guild;
  }

  /** Environment for src/config.ts's loadConfig: token, app id, first guild, API base. */
  env(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
      DISCORD_TOKEN: this.token,
      DISCORD_APP_ID: this.applicationId,
      GUILD_ID: this.guild.id,
      DISCORD_API_BASE: this.apiBase,
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  // -------------------------------------------------------------------------------------------
  // What happened

  /** Every REST request so far, in order of arrival. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Requests that matched no route (answered 404). A passing e2e test expects none. */
  unhandled(): RecordedRequest[] {
    return this.#requests.filter((request) => request.route === 'unhandled');
  }

  /** Frames the client sent on the gateway (IDENTIFY, heartbeats…), tokens redacted. */
  get gatewayFrames(): readonly GatewayFrame[] {
    return this.#frames;
  }

  /** The first recorded request, past or future, matching `predicate`. */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'a matching request'): Promise<RecordedRequest> {
    const existing = this.#requests.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (request) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(request);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new WaitTimeoutError(what, timeoutMs, this.describeRequests()));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** The first request to `route` (optionally also matching `predicate`). */
  waitForRoute(route: RouteName, predicate: (request: RecordedRequest) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedRequest> {
    return this.waitFor((request) => request.route === route && predicate(request), timeoutMs, route);
  }

  /** The last requests, one line each, for failure messages. */
  describeRequests(last = 20): string {
    const lines = this.#requests.slice(-last).map((request) => `  #${request.seq} ${request.method} ${request.path} → ${request.status}`);
    return lines.length > 0 ? `Requests so far (last ${last}):\n${lines.join('\n')}` : 'No requests so far.';
  }

  /** Commands registered globally (no argument) or for a guild. */
  registeredCommands(guildId?: string): APIApplicationCommand[] {
    return this.#state.commands.get(guildId ?? 'global') ?? [];
  }

  /** Live messages, oldest first, optionally of one channel. */
  messages(channelId?: string): APIMessage[] {
    return this.#messages.list(channelId).map((stored) => stored.message);
  }

  /** A message with its attachments' bytes, including deleted ones (see `deleted`). */
  message(id: string): StoredMessage | undefined {
    return this.#messages.get(id);
  }

  /** The bytes behind an attachment url served by the fake. */
  attachmentData(url: string): RecordedFile | undefined {
    const match = /\/attachments\/(\d+)\/(\d+)\//.exec(url);
    return match ? this.#messages.attachment(match[1] ?? '', match[2] ?? '') : undefined;
  }

  /** Stores a file as if a member had uploaded it, e.g. to put its url in a message. */
  addAttachment(channelId: string, input: FakeAttachmentInput): APIAttachment {
    return this.#messages.addUpload(channelId, input);
  }

  // -------------------------------------------------------------------------------------------
  // Gateway

  /** Resolves once `count` sessions are identified and connected. */
  async waitForSession(timeoutMs = DEFAULT_WAIT_MS, count = 1): Promise<void> {
    await waitUntil(() => this.#gateway.connectedSessions >= count, { timeoutMs, what: `${count} gateway session(s)` });
  }

  /** Sends any dispatch event (t, d) to the bot's session(s); a disconnected one gets it on RESUME. */
  dispatch(event: string, data: unknown): void {
    if (this.#gateway.dispatch(event, data) === 0) {
      throw new Error(`No bot has a session with the fake gateway to receive ${event}; start the bot (and waitForSession) first`);
    }
  }

  /** Drops every gateway connection (default close code 4000): the client should RESUME. */
  disconnectGateway(code?: number): void {
    this.#gateway.disconnectAll(code);
  }

  /** Dispatches INTERACTION_CREATE: a slash command, an autocomplete, or a button click. */
  sendInteraction(spec: InteractionSpec): SentInteraction {
    const { state, payload } = buildInteraction(spec, {
      world: this.#world,
      messages: this.#messages,
      findCommand: (name, guildId) =>
        this.registeredCommands(guildId).find((command) => command.name === name) ?? this.registeredCommands().find((command) => command.name === name),
      tokenTtlMs: this.#tokenTtlMs,
    });
    this.#state.interactions.set(state.id, state);
    this.dispatch(GatewayDispatchEvents.InteractionCreate, payload);

    const ofThis = (request: RecordedRequest): boolean => request.interactionId === state.id;
    return {
      id: state.id,
      token: state.token,
      kind: state.kind,
      payload,
      waitForCallback: (timeoutMs = DEFAULT_WAIT_MS) =>
        this.waitFor((request) => ofThis(request) && request.route === 'POST /interactions/:interaction/:token/callback', timeoutMs, `the callback of ${describe(spec)}`),
      waitForResponse: (predicate = () => true, timeoutMs = DEFAULT_WAIT_MS) =>
        this.waitFor((request) => ofThis(request) && predicate(request), timeoutMs, `a response to ${describe(spec)}`),
      responses: () => this.#requests.filter(ofThis),
      original: () => {
        const stored = state.originalMessageId === null ? undefined : this.#messages.get(state.originalMessageId);
        return stored && !stored.deleted ? stored.message : null;
      },
      expireToken: () => {
        state.expiresAt = Date.now();
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Voice

  /** Where the bot's voice connections go from now on (null: nowhere, the connection stalls). */
  setVoiceServer(server: FakeVoiceServerInfo | null): void {
    this.#voiceServer = server;
  }

  /**
   * A member joins (or moves to) a voice channel: VOICE_STATE_UPDATE to the bot, and the state is
   * in GUILD_CREATE from then on. Default channel: the guild's first voice channel.
   */
  joinVoice(member: string, channelId?: string, guildId = this.guild.id): void {
    const guild = this.#guildById(guildId);
    const channel = channelId ?? guild.voiceChannel?.id;
    if (!channel || !guild.channels.some((c) => c.id === channel)) throw new Error(`No voice channel ${channelId ?? '(default)'} in guild ${guild.id}`);
    const found = guild.member(member);
    this.#setVoiceState(guild.id, found.user.id, channel, memberPayload(found));
  }

  /** A member leaves voice. */
  leaveVoice(member: string, guildId = this.guild.id): void {
    const guild = this.#guildById(guildId);
    const found = guild.member(member);
    this.#setVoiceState(guild.id, found.user.id, null, memberPayload(found));
  }

  /** The voice channel a user (member or the bot) is in, or null. */
  voiceChannelOf(userId: string, guildId = this.guild.id): string | null {
    const state = this.#voiceStates.get(`${guildId}:${userId}`);
    return typeof state?.channel_id === 'string' ? state.channel_id : null;
  }

  #guildById(guildId: string): FakeGuild {
    const guild = this.#world.guilds.find((g) => g.id === guildId);
    if (!guild) throw new Error(`No guild ${guildId}`);
    return guild;
  }

  #voiceStatesOf(guildId: string): Record<string, unknown>[] {
    return [...this.#voiceStates.values()].filter((state) => state.guild_id === guildId && state.channel_id !== null);
  }

  #setVoiceState(guildId: string, userId: string, channelId: string | null, member: Record<string, unknown> | null, extra: Record<string, unknown> = {}): void {
    const state: Record<string, unknown> = {
      guild_id: guildId,
      channel_id: channelId,
      user_id: userId,
      ...(member ? { member } : {}),
      session_id: randomBytes(16).toString('hex'),
      deaf: false,
      mute: false,
      self_deaf: false,
      self_mute: false,
      self_video: false,
      suppress: false,
      request_to_speak_timestamp: null,
      ...extra,
    };
    this.#voiceStates.set(`${guildId}:${userId}`, state);
    this.#gateway.dispatch(GatewayDispatchEvents.VoiceStateUpdate, state);
  }

  /** The bot's op 4: its new voice state, then (joining, with a voice server set) where to connect. */
  #botVoiceStateUpdate(data: unknown): void {
    const request = data as { guild_id?: unknown; channel_id?: unknown; self_deaf?: unknown; self_mute?: unknown } | null;
    const guild = this.#world.guilds.find((g) => g.id === request?.guild_id);
    if (!guild) return;
    const channelId = typeof request?.channel_id === 'string' && guild.channels.some((c) => c.id === request.channel_id) ? request.channel_id : null;
    this.#setVoiceState(guild.id, this.#world.bot.id, channelId, null, { self_deaf: request?.self_deaf === true, self_mute: request?.self_mute === true });
    if (channelId !== null && this.#voiceServer) {
      this.#gateway.dispatch(GatewayDispatchEvents.VoiceServerUpdate, { token: this.#voiceServer.token, guild_id: guild.id, endpoint: this.#voiceServer.endpoint });
    }
  }

  // -------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#gateway.close();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const method = request.method ?? 'GET';
    const path = decodePath(url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : url.pathname);
    const contentType = request.headers['content-type'] ?? null;
    const authorization = request.headers.authorization ?? null;
    const query = Object.fromEntries(url.searchParams);

    let body: unknown = null;
    let files: readonly RecordedFile[] = [];
    let result: RouteResult;
    const matched = url.pathname.startsWith(`${API_PREFIX}/`) || path.startsWith('/attachments/') ? matchRoute(method, path) : null;
    try {
      try {
        ({ body, files } = await parseBody(await readRaw(request), contentType));
      } catch (error) {
        throw new HttpError(400, 50109, `The request body contains invalid JSON. (${error instanceof Error ? error.message : String(error)})`);
      }
      if (!matched) throw notFound();
      checkAuth(matched.route, authorization, this.#state);
      result = matched.route.handle({ params: matched.params, query, body, files }, this.#state);
    } catch (error) {
      const httpError = error instanceof HttpError ? error : new HttpError(500, 0, `Fake Discord failed: ${error instanceof Error ? error.message : String(error)}`);
      result = { status: httpError.status, body: httpError.toJSON() };
    }

    if (result.raw) {
      response.writeHead(result.status, { 'content-type': result.raw.contentType, 'content-length': result.raw.data.length });
      response.end(result.raw.data);
    } else if (result.status === 204) {
      response.writeHead(204);
      response.end();
    } else {
      const text = JSON.stringify(result.body ?? null);
      response.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    }

    this.#record({
      seq: this.#requests.length + 1,
      at: Date.now(),
      method,
      path,
      route: matched?.route.name ?? 'unhandled',
      params: matched?.params ?? {},
      query,
      authorization,
      contentType,
      body,
      files,
      status: result.status,
      response: result.raw ? `<${result.raw.data.length} bytes>` : (result.body ?? null),
      message: result.message ?? null,
      callbackType: result.callbackType ?? null,
      choices: result.choices ?? null,
      interactionId: result.interactionId ?? (matched ? interactionIdFor(matched.route.name, matched.params, this.#state) : null),
    });
  }

  #record(request: RecordedRequest): void {
    this.#requests.push(request);
    for (const waiter of [...this.#waiters]) {
      if (waiter.predicate(request)) waiter.resolve(request);
    }
  }
}

export function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return FakeDiscord.start(options);
}

function describe(spec: InteractionSpec): string {
  if (spec.kind === 'button') return `button ${spec.customId}`;
  const name = ['/' + spec.name, spec.subcommandGroup, spec.subcommand].filter(Boolean).join(' ');
  return spec.kind === 'autocomplete' ? `autocomplete of ${name}` : name;
}
