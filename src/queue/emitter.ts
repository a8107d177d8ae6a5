import type { JobQueueEventName, JobQueueEvents, JobQueueListener, QueueLogger } from './types.ts';

// A typed event emitter whose listeners cannot hurt the queue: a listener that throws is logged
// and the others still run.

export class QueueEmitter {
  readonly #listeners = new Map<JobQueueEventName, Set<(payload: never) => void>>();
  readonly #logger: QueueLogger | undefined;

  constructor(logger?: QueueLogger) {
    this.#logger = logger;
  }

  on<E extends JobQueueEventName>(event: E, listener: JobQueueListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<E extends JobQueueEventName>(event: E, payload: JobQueueEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as JobQueueListener<E>)(payload);
      } catch (error) {
        this.#logger?.error(`job queue "${event}" listener threw`, { err: error });
      }
    }
  }
}
