// A single-line terminal progress bar for training. Pure formatting lives in formatProgress so it
// can be tested; ProgressBar only decides when and where to draw.

export interface ProgressState {
  readonly epoch: number;
  readonly totalEpochs: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly elapsedMs: number;
  /** The epoch at which training began (non-zero when resuming from a checkpoint). */
  readonly startEpoch?: number;
}

export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function etaMs(state: ProgressState): number {
  const done = state.epoch - (state.startEpoch ?? 0);
  const left = state.totalEpochs - state.epoch;
  if (done <= 0) return Number.NaN;
  return (state.elapsedMs / done) * left;
}

export function formatProgress(state: ProgressState, width = 24): string {
  const fraction = state.totalEpochs > 0 ? state.epoch / state.totalEpochs : 0;
  return (
    `${progressBar(fraction, width)} epoch ${state.epoch}/${state.totalEpochs}` +
    ` · loss ${formatLoss(state.loss)} · acc ${(state.accuracy * 100).toFixed(1)}%` +
    ` · ETA ${formatDurationShort(etaMs(state))}`
  );
}

/** Losses span 2.5 down to 1e-7 over a run: fixed decimals would show the tail as 0.0000. */
export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  return loss >= 0.001 ? loss.toFixed(4) : loss.toExponential(2);
}

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #minIntervalMs: number;
  #lastDraw = 0;
  #lastLine = '';

  constructor(stream: NodeJS.WriteStream, minIntervalMs = 100) {
    this.#stream = stream;
    this.#minIntervalMs = minIntervalMs;
  }

  update(state: ProgressState): void {
    const now = Date.now();
    const last = state.epoch >= state.totalEpochs;
    if (!last && now - this.#lastDraw < this.#minIntervalMs) return;
    this.#lastDraw = now;
    const line = formatProgress(state);
    if (this.#stream.isTTY) {
      this.#stream.write(`\r${line}\x1b[K`);
    } else if (line !== this.#lastLine) {
      this.#stream.write(`${line}\n`);
    }
    this.#lastLine = line;
  }

  done(): void {
    if (this.#stream.isTTY && this.#lastLine) this.#stream.write('\n');
    this.#lastLine = '';
  }
}
