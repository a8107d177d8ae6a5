// Refusals from the audio layer that a member can act on (a tempo out of range, a melody too long
// to render). They carry `userMessage`, the contract the bot's central error handler shows as the
// reply; anything else thrown from here is a bug.

export class AudioRequestError extends Error {
  readonly userMessage: string;

  constructor(userMessage: string) {
    super(userMessage);
    this.name = 'AudioRequestError';
    this.userMessage = userMessage;
  }
}
