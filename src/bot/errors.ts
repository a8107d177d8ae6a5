// The contract between whatever throws and the central error handler: an error carrying a string
// `userMessage` is an expected refusal whose text is safe to show as the reply (UserError here,
// and e.g. MemberJobLimitError, DuplicateMelodyError elsewhere). Anything else is a bug: the
// member gets a generic message with a reference, the log gets the details.

export class UserError extends Error {
  readonly userMessage: string;

  constructor(userMessage: string, options?: { cause?: unknown }) {
    super(userMessage, options);
    this.name = 'UserError';
    this.userMessage = userMessage;
  }
}

export function userMessageOf(error: unknown): string | null {
  if (typeof error !== 'object' || error === null || !('userMessage' in error)) return null;
  const message = error.userMessage;
  return typeof message === 'string' && message.trim() !== '' ? message : null;
}
