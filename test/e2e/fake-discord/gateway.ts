import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { GatewayCloseCodes, GatewayDispatchEvents, GatewayOpcodes } from 'discord.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GatewayFrame } from './types.ts';
import { guildPayload, userPayload, type World } from './world.ts';

// The gateway on the fake's HTTP server at /gateway, JSON encoding, no compression (discord.js
// only compresses with zlib-sync installed). HELLO on connect; IDENTIFY → READY, then one
// GUILD_CREATE per guild; heartbeats are ACKed; RESUME replays what the session missed and sends
// RESUMED. Dispatches go to every identified session and are kept for replay.

export const GATEWAY_PATH = '/gateway';

interface Dispatch {
  readonly s: number;
  readonly t: string;
  readonly d: unknown;
}

interface Session {
  readonly id: string;
  socket: WebSocket | null;
  seq: number;
  readonly sent: Dispatch[];
  readonly intents: number;
}

export interface FakeGatewayOptions {
  readonly world: World;
  readonly heartbeatIntervalMs: number;
  readonly url: () => string;
  readonly onFrame: (frame: GatewayFrame) => void;
  /** Op 4 from an identified session (the bot joining, moving or leaving a voice channel). */
  readonly onVoiceStateUpdate?: (data: unknown) => void;
  /** Voice states for a guild's GUILD_CREATE. */
  readonly voiceStates?: (guildId: string) => readonly Record<string, unknown>[];
}

export class FakeGateway {
  readonly #wss: WebSocketServer;
  readonly #options: FakeGatewayOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #sockets = new Set<WebSocket>();

  constructor(server: Server, options: FakeGatewayOptions) {
    this.#options = options;
    this.#wss = new WebSocketServer({ server, path: GATEWAY_PATH });
    this.#wss.on('connection', (socket) => this.#accept(socket));
  }

  /** Sessions that identified and are connected now. */
  get connectedSessions(): number {
    return [...this.#sessions.values()].filter((session) => session.socket !== null).length;
  }

  /**
   * Sends a dispatch event to every session; a session that is disconnected gets it when it
   * resumes. Returns the number of sessions.
   */
  dispatch(t: string, d: unknown): number {
    for (const session of this.#sessions.values()) this.#sendDispatch(session, t, d);
    return this.#sessions.size;
  }

  /** Closes every connection with `code`; sessions are kept so the client can RESUME. */
  disconnectAll(code: number = GatewayCloseCodes.UnknownError): void {
    for (const socket of this.#sockets) socket.close(code, 'Closed by the fake gateway');
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(socket: WebSocket): void {
    this.#sockets.add(socket);
    let session: Session | null = null;
    socket.on('close', (code) => {
      this.#sockets.delete(socket);
      if (session?.socket !== socket) return;
      session.socket = null;
      // 1000/1001 from the client means it is done (client.destroy()); other codes keep the
      // session for RESUME, as Discord does.
      if (code === 1000 || code === 1001) this.#sessions.delete(session.id);
    });
    socket.on('error', () => socket.terminate());
    socket.on('message', (raw) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(String(raw)) as { op?: unknown; d?: unknown };
      } catch {
        socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      const op = typeof payload.op === 'number' ? payload.op : -1;
      this.#options.onFrame({ at: Date.now(), sessionId: session?.id ?? null, op, d: redactToken(payload.d) });
      switch (op) {
        case GatewayOpcodes.Heartbeat:
          this.#send(socket, { op: GatewayOpcodes.HeartbeatAck });
          break;
        case GatewayOpcodes.Identify:
          session = this.#identify(socket, payload.d);
          break;
        case GatewayOpcodes.Resume:
          session = this.#resume(socket, payload.d);
          break;
        case GatewayOpcodes.VoiceStateUpdate:
          // Answered as Discord does: VOICE_STATE_UPDATE, then VOICE_SERVER_UPDATE (see fake-discord.ts).
          if (session) this.#options.onVoiceStateUpdate?.(payload.d);
          break;
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          // Recorded (onFrame) for assertions; the fake has no member chunking yet.
          break;
        default:
          socket.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
      }
    });
    this.#send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.#options.heartbeatIntervalMs } });
  }

  #identify(socket: WebSocket, data: unknown): Session | null {
    const identify = data as { token?: unknown; intents?: unknown } | null;
    if (identify?.token !== this.#options.world.token) {
      socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return null;
    }
    const { world } = this.#options;
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      socket,
      seq: 0,
      sent: [],
      intents: typeof identify.intents === 'number' ? identify.intents : 0,
    };
    this.#sessions.set(session.id, session);
    this.#sendDispatch(session, GatewayDispatchEvents.Ready, {
      v: 10,
      user: { ...userPayload(world.bot), verified: true, mfa_enabled: false, flags: 0 },
      guilds: world.guilds.map((guild) => ({ id: guild.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.#options.url(),
      shard: [0, 1],
      application: { id: world.applicationId, flags: 0 },
    });
    for (const guild of world.guilds) this.#sendDispatch(session, GatewayDispatchEvents.GuildCreate, guildPayload(guild, world, this.#options.voiceStates?.(guild.id) ?? []));
    return session;
  }

  #resume(socket: WebSocket, data: unknown): Session | null {
    const resume = data as { token?: unknown; session_id?: unknown; seq?: unknown } | null;
    const session = typeof resume?.session_id === 'string' ? this.#sessions.get(resume.session_id) : undefined;
    if (resume?.token !== this.#options.world.token || !session) {
      this.#send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      return null;
    }
    session.socket = socket;
    const from = typeof resume.seq === 'number' ? resume.seq : 0;
    for (const event of session.sent) {
      if (event.s > from) this.#send(socket, { op: GatewayOpcodes.Dispatch, ...event });
    }
    this.#sendDispatch(session, GatewayDispatchEvents.Resumed, {});
    return session;
  }

  #sendDispatch(session: Session, t: string, d: unknown): void {
    const event: Dispatch = { s: ++session.seq, t, d };
    session.sent.push(event);
    if (session.socket) this.#send(session.socket, { op: GatewayOpcodes.Dispatch, ...event });
  }

  #send(socket: WebSocket, payload: Record<string, unknown>): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ s: null, t: null, ...payload }));
  }
}

/** Frames are kept for assertions; the token in IDENTIFY/RESUME is not worth keeping. */
function redactToken(d: unknown): unknown {
  if (typeof d !== 'object' || d === null || !('token' in d)) return d;
  return { ...d, token: '[redacted]' };
}
