import { MAX_QUOTED } from './limits.ts';

// Errors a member can act on: each says which piece of their input is wrong, where it is, why,
// and what would have been accepted. The bot shows `message`; the fields let it do more
// (underline the token, suggest a fix) without parsing the message.

export interface NotationErrorDetails {
  /** The offending text, as the member typed it ('' when the problem is the input as a whole). */
  readonly token: string;
  /** 1-based token index (token syntax), line number (ABC), or 0 when there is no single place. */
  readonly position: number;
  /** 0-based character offset: into the whole input for tokens, into the line for ABC. */
  readonly column: number;
  /** Short statement of what is wrong. */
  readonly reason: string;
  /** What would have been accepted instead ('' when the reason already says it). */
  readonly allowed: string;
  /** How the message names the place; defaults to `token <position>`. */
  readonly where?: string;
}

export class NotationError extends Error {
  readonly token: string;
  readonly position: number;
  readonly column: number;
  readonly reason: string;
  readonly allowed: string;

  constructor(details: NotationErrorDetails) {
    super(formatNotationMessage(details));
    this.name = 'NotationError';
    this.token = details.token;
    this.position = details.position;
    this.column = details.column;
    this.reason = details.reason;
    this.allowed = details.allowed;
  }
}

/** Thrown by the songbook for a name it does not know; `available` lists the names it does. */
export class UnknownSongError extends Error {
  readonly requested: string;
  readonly available: readonly string[];

  constructor(requested: string, available: readonly string[]) {
    super(`no built-in song called ${quote(requested)} — available: ${available.join(', ')}`);
    this.name = 'UnknownSongError';
    this.requested = requested;
    this.available = available;
  }
}

/**
 * Member input quoted for a Discord message: bounded length, and no backtick that could close
 * the code span early and let the rest render as markdown.
 */
export function quote(text: string): string {
  const flat = text.replace(/[`\r\n\t]/g, (c) => (c === '`' ? "'" : ' '));
  const chars = Array.from(flat);
  const shown = chars.length > MAX_QUOTED ? `${chars.slice(0, MAX_QUOTED - 1).join('')}…` : flat;
  return `\`${shown}\``;
}

function formatNotationMessage(details: NotationErrorDetails): string {
  const where = details.where ?? (details.position > 0 ? `token ${details.position}` : '');
  const subject = [where, details.token ? quote(details.token) : ''].filter(Boolean).join(' ');
  const body = details.allowed ? `${details.reason} — ${details.allowed}` : details.reason;
  return subject ? `${subject}: ${body}` : body;
}
