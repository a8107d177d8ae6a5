import {
  AudioPlayerStatus,
  createAudioPlayer,
  entersState,
  joinVoiceChannel,
  NoSubscriberBehavior,
  VoiceConnectionStatus,
  type AudioPlayer,
  type AudioResource,
  type VoiceConnection,
} from '@discordjs/voice';
import type { Guild, VoiceBasedChannel } from 'discord.js';
import type { Logger } from '../bot/logger.ts';
import { pcmResource } from './pcm.ts';
import { PlayQueue, type QueueTimers } from './queue.ts';

// One server's presence in a voice channel: the @discordjs/voice connection (voice gateway v8,
// UDP, transport encryption, DAVE end-to-end encryption through @snazzah/davey), one audio player
// subscribed to it, and the play queue that feeds the player and decides when to leave.
// Whatever ends the connection (idle leave, /stop's idle timer, a kick, shutdown, a failed
// reconnect) ends here: destroy() is idempotent and reports once through onClosed.

export interface Track {
  readonly title: string;
  /** Who asked for it (user id). */
  readonly requestedBy: string;
  readonly durationSeconds: number;
  /**
   * Its sound as 48 kHz stereo s16le, made when its turn comes: a waiting track costs a melody,
   * not minutes of PCM (a 10-minute melody is ~115 MB of it).
   */
  readonly load: () => Promise<Buffer>;
}

export interface VoiceSessionOptions {
  readonly guild: Guild;
  readonly channel: VoiceBasedChannel;
  readonly idleMs: number;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  readonly onClosed: (session: VoiceSession) => void;
  readonly timers?: QueueTimers;
}

/** Joining failed or timed out; the connection has been destroyed. */
export class VoiceConnectError extends Error {
  readonly userMessage: string;

  constructor(channelName: string, timeoutMs: number, cause: unknown) {
    super(`Could not connect to voice channel ${channelName}`, { cause });
    this.name = 'VoiceConnectError';
    this.userMessage = `I could not connect to the voice channel **${channelName}** within ${Math.round(timeoutMs / 1000)} s. Discord's voice servers may be busy; please try again in a moment.`;
  }
}

/** How long a dropped connection may take to start reconnecting before it is given up. */
const RECONNECT_GRACE_MS = 5_000;

export class VoiceSession {
  readonly guildId: string;
  readonly channelId: string;
  readonly channelName: string;
  readonly connection: VoiceConnection;
  readonly player: AudioPlayer;
  readonly queue: PlayQueue<Track>;
  readonly #logger: Logger;
  readonly #onClosed: (session: VoiceSession) => void;
  #closed = false;

  /** Joins the channel and waits until the connection is ready; destroys it and throws VoiceConnectError otherwise. */
  static async connect(options: VoiceSessionOptions): Promise<VoiceSession> {
    const session = new VoiceSession(options);
    try {
      await entersState(session.connection, VoiceConnectionStatus.Ready, options.connectTimeoutMs);
    } catch (error) {
      session.destroy();
      throw new VoiceConnectError(options.channel.name, options.connectTimeoutMs, error);
    }
    return session;
  }

  private constructor(options: VoiceSessionOptions) {
    this.guildId = options.guild.id;
    this.channelId = options.channel.id;
    this.channelName = options.channel.name;
    this.#logger = options.logger;
    this.#onClosed = options.onClosed;
    this.connection = joinVoiceChannel({
      guildId: options.guild.id,
      channelId: options.channel.id,
      adapterCreator: options.guild.voiceAdapterCreator,
      selfDeaf: true,
      selfMute: false,
    });
    this.player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Pause } });
    this.queue = new PlayQueue<Track>({
      play: (track) => this.#play(track),
      stopCurrent: () => this.player.stop(true),
      leave: () => {
        this.#logger.info('leaving voice after idle time', { guild: this.guildId, channel: this.channelId });
        this.destroy();
      },
      idleMs: options.idleMs,
      ...(options.timers ? { timers: options.timers } : {}),
    });

    this.connection.on('error', (error) => this.#logger.warn('voice connection error', { guild: this.guildId, err: error }));
    this.connection.on('stateChange', (from, to) => {
      if (from.status !== to.status) this.#logger.debug('voice connection state', { guild: this.guildId, from: from.status, to: to.status });
    });
    this.connection.on(VoiceConnectionStatus.Disconnected, () => void this.#onDisconnected());
    this.connection.on(VoiceConnectionStatus.Destroyed, () => this.destroy());

    this.player.on('error', (error) => {
      const track = (error.resource as AudioResource<Track | undefined>).metadata;
      this.#logger.warn('voice playback failed', { guild: this.guildId, track: track?.title, err: error });
      // The player goes idle after an error, which moves the queue on.
    });
    this.player.on('stateChange', (from, to) => {
      if (to.status === AudioPlayerStatus.Idle && from.status !== AudioPlayerStatus.Idle) {
        const track = (from as { resource?: AudioResource<Track> }).resource?.metadata;
        this.queue.finished(track);
      }
    });
    this.connection.subscribe(this.player);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Playing or waiting to play. */
  get busy(): boolean {
    return this.queue.current !== null || this.queue.waiting.length > 0;
  }

  /** Leaves the channel and forgets the queue. Idempotent. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.queue.dispose();
    this.player.stop(true);
    if (this.connection.state.status !== VoiceConnectionStatus.Destroyed) this.connection.destroy();
    this.#onClosed(this);
  }

  #play(track: Track): void {
    track.load().then(
      (pcm) => {
        // Stopped, skipped or left while it was being made: nothing to play.
        if (this.#closed || this.queue.current !== track) return;
        this.player.play(pcmResource(pcm, track));
      },
      (error: unknown) => {
        this.#logger.warn('could not make the sound of a queued melody', { guild: this.guildId, track: track.title, err: error });
        this.queue.finished(track);
      },
    );
  }

  async #onDisconnected(): Promise<void> {
    // Moved to another channel or a voice server change: the library reconnects by itself
    // (Signalling/Connecting follow). Kicked or the channel deleted: nothing follows; give up.
    try {
      await Promise.race([
        entersState(this.connection, VoiceConnectionStatus.Signalling, RECONNECT_GRACE_MS),
        entersState(this.connection, VoiceConnectionStatus.Connecting, RECONNECT_GRACE_MS),
      ]);
    } catch {
      this.#logger.info('voice connection lost', { guild: this.guildId, channel: this.channelId });
      this.destroy();
    }
  }
}
