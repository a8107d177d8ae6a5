// One server's play queue, without Discord: what plays now, what waits, and when to leave.
// The voice session (session.ts) gives it a way to start a track, to stop the current one and to
// leave the channel; the queue tells it when. Pure logic with injectable timers, so the order of
// tracks and the idle leave are unit-tested without a voice connection.
//
//   enqueue → plays at once when nothing plays, else waits its turn (position 1, 2, …)
//   finished (the player went idle) → the next track, or the idle timer when none is left
//   stop → clears the waiting tracks, stops the current one, arms the idle timer
//   idle timer fires → leave (the session destroys the connection)

export interface QueueTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const NODE_TIMERS: QueueTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PlayQueueOptions<T> {
  /** Starts playing `track`; it must call `finished()` once the track ends (or fails). */
  readonly play: (track: T) => void;
  /** Stops the current track (its player goes idle; `finished()` may follow and is ignored). */
  readonly stopCurrent: () => void;
  /** Leaves the voice channel; called once, after `idleMs` with nothing to play. */
  readonly leave: () => void;
  readonly idleMs: number;
  readonly timers?: QueueTimers;
}

/** Longest a queue may grow; a bound, so one member cannot queue a day of music. */
export const MAX_QUEUE_LENGTH = 20;

export class QueueFullError extends Error {
  readonly userMessage: string;

  constructor() {
    super('The play queue is full');
    this.name = 'QueueFullError';
    this.userMessage = `The play queue already holds ${MAX_QUEUE_LENGTH} melodies. Wait for some to finish, or \`/stop\` to clear it.`;
  }
}

export class PlayQueue<T> {
  readonly #options: PlayQueueOptions<T>;
  readonly #timers: QueueTimers;
  readonly #waiting: T[] = [];
  #current: T | null = null;
  #idleTimer: unknown = null;
  #left = false;

  constructor(options: PlayQueueOptions<T>) {
    this.#options = options;
    this.#timers = options.timers ?? NODE_TIMERS;
  }

  /** The track playing now, or null. */
  get current(): T | null {
    return this.#current;
  }

  /** Tracks waiting their turn, next first. */
  get waiting(): readonly T[] {
    return this.#waiting;
  }

  /** True once the queue has left (idle timeout or dispose); it accepts nothing more. */
  get left(): boolean {
    return this.#left;
  }

  /** True while the idle timer runs. */
  get idle(): boolean {
    return this.#idleTimer !== null;
  }

  /**
   * Adds a track; returns its position: 0 = playing now, n = n-th in line.
   * Throws QueueFullError when MAX_QUEUE_LENGTH tracks already wait.
   */
  enqueue(track: T): number {
    if (this.#left) throw new Error('This play queue has left its channel');
    if (this.#current === null) {
      this.#start(track);
      return 0;
    }
    if (this.#waiting.length >= MAX_QUEUE_LENGTH) throw new QueueFullError();
    this.#waiting.push(track);
    return this.#waiting.length;
  }

  /** The current track ended: play the next, or start counting towards leaving. */
  finished(track?: T): void {
    if (this.#left) return;
    if (track !== undefined && track !== this.#current) return; // a stopped track's late report
    this.#current = null;
    const next = this.#waiting.shift();
    if (next === undefined) this.#armIdle();
    else this.#start(next);
  }

  /** Clears the queue and stops the current track; returns how many tracks were dropped (current included). */
  stop(): number {
    if (this.#left) return 0;
    const dropped = this.#waiting.length + (this.#current === null ? 0 : 1);
    this.#waiting.length = 0;
    if (this.#current !== null) {
      this.#current = null;
      this.#options.stopCurrent();
    }
    this.#armIdle();
    return dropped;
  }

  /** Forgets everything without calling leave (the session is being destroyed anyway). */
  dispose(): void {
    this.#left = true;
    this.#waiting.length = 0;
    this.#current = null;
    this.#clearIdle();
  }

  #start(track: T): void {
    this.#clearIdle();
    this.#current = track;
    this.#options.play(track);
  }

  #armIdle(): void {
    this.#clearIdle();
    this.#idleTimer = this.#timers.setTimeout(() => {
      this.#idleTimer = null;
      if (this.#left || this.#current !== null) return;
      this.#left = true;
      this.#options.leave();
    }, this.#options.idleMs);
  }

  #clearIdle(): void {
    if (this.#idleTimer === null) return;
    this.#timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}
