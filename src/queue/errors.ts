// Errors a member can cause when submitting work; `userMessage` is shown as the reply.

export class MemberJobLimitError extends Error {
  readonly userMessage: string;
  readonly limit: number;
  readonly active: number;

  constructor(limit: number, active: number) {
    super(`Member already has ${active} active jobs (limit ${limit})`);
    this.name = 'MemberJobLimitError';
    this.limit = limit;
    this.active = active;
    const jobs = active === 1 ? 'job' : 'jobs';
    this.userMessage =
      `You already have ${active} training ${jobs} waiting or running in this server; the limit is ${limit} per member. ` +
      'Wait for one to finish, or cancel one with /cancel (see /jobs).';
  }
}
