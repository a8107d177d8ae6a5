// Errors the fake answers with, in Discord's shape ({ message, code, errors? }) and with Discord's
// codes, so discord.js raises the same DiscordAPIError it would in production.

export class HttpError extends Error {
  readonly status: number;
  readonly code: number;
  readonly errors: unknown;

  constructor(status: number, code: number, message: string, errors?: unknown) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  toJSON(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.errors === undefined ? {} : { errors: this.errors }) };
  }
}

export const unauthorized = (): HttpError => new HttpError(401, 0, '401: Unauthorized');
export const notFound = (): HttpError => new HttpError(404, 0, '404: Not Found');
export const unknownChannel = (): HttpError => new HttpError(404, 10003, 'Unknown Channel');
export const unknownMember = (): HttpError => new HttpError(404, 10007, 'Unknown Member');
export const unknownMessage = (): HttpError => new HttpError(404, 10008, 'Unknown Message');
export const unknownWebhook = (): HttpError => new HttpError(404, 10015, 'Unknown Webhook');
export const unknownInteraction = (): HttpError => new HttpError(404, 10062, 'Unknown interaction');
export const invalidWebhookToken = (): HttpError => new HttpError(401, 50027, 'Invalid Webhook Token');
export const alreadyAcknowledged = (): HttpError => new HttpError(400, 40060, 'Interaction has already been acknowledged.');
export const emptyMessage = (): HttpError => new HttpError(400, 50006, 'Cannot send an empty message');

/** 400 Invalid Form Body with one error at `path` (e.g. "content" or "data.choices"). */
export function invalidFormBody(path: string, code: string, message: string): HttpError {
  const errors: Record<string, unknown> = {};
  let node = errors;
  const parts = path.split('.');
  parts.forEach((part, index) => {
    const next: Record<string, unknown> = index === parts.length - 1 ? { _errors: [{ code, message }] } : {};
    node[part] = next;
    node = next;
  });
  return new HttpError(400, 50035, 'Invalid Form Body', errors);
}
