// Errors a member can cause by what they ask for. `userMessage` is the protocol the bot's central
// error handler looks for: text that is safe and useful to show as the reply.

export class DuplicateMelodyError extends Error {
  readonly userMessage: string;
  readonly guildId: string;
  readonly melodyName: string;

  constructor(guildId: string, melodyName: string) {
    super(`A melody named "${melodyName}" already exists in guild ${guildId}`);
    this.name = 'DuplicateMelodyError';
    this.guildId = guildId;
    this.melodyName = melodyName;
    this.userMessage = `This server's songbook already has a melody named "${melodyName}". Pick another name, or delete the old one first.`;
  }
}
