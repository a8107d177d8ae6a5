// Which waiting job runs next. Jobs interrupted by a restart come first, in their old order, so
// they resume where they stopped. The rest are shared round-robin among servers: the server whose
// last job started longest ago (or never) goes next, and within a server jobs run first-in,
// first-out. One busy server therefore cannot starve the others, and a server that joins the
// queue late waits for at most one job of each other server.

export interface WaitingJob {
  readonly id: number;
  readonly guildId: string;
  readonly position: number;
  readonly recovered: boolean;
}

/**
 * The order in which `waiting` would start if nothing else arrived.
 * @param lastStarted per server, the start counter of its latest started job (absent = never).
 */
export function fairOrder<T extends WaitingJob>(waiting: readonly T[], lastStarted: ReadonlyMap<string, number>): T[] {
  const served = new Map(lastStarted);
  let counter = Math.max(0, ...served.values());
  const byPosition = (a: T, b: T): number => a.position - b.position;

  const order: T[] = [];
  for (const job of waiting.filter((candidate) => candidate.recovered).sort(byPosition)) {
    order.push(job);
    served.set(job.guildId, ++counter);
  }

  const lanes = new Map<string, T[]>();
  for (const job of waiting.filter((candidate) => !candidate.recovered).sort(byPosition)) {
    const lane = lanes.get(job.guildId);
    if (lane) lane.push(job);
    else lanes.set(job.guildId, [job]);
  }

  while (lanes.size > 0) {
    let chosen: { guildId: string; lane: T[]; head: T } | null = null;
    for (const [guildId, lane] of lanes) {
      const head = lane[0];
      if (head === undefined) continue;
      if (chosen === null || isBefore(served.get(guildId), head.position, served.get(chosen.guildId), chosen.head.position)) {
        chosen = { guildId, lane, head };
      }
    }
    if (chosen === null) break;
    order.push(chosen.head);
    chosen.lane.shift();
    if (chosen.lane.length === 0) lanes.delete(chosen.guildId);
    served.set(chosen.guildId, ++counter);
  }
  return order;
}

function isBefore(servedA: number | undefined, positionA: number, servedB: number | undefined, positionB: number): boolean {
  const a = servedA ?? Number.NEGATIVE_INFINITY;
  const b = servedB ?? Number.NEGATIVE_INFINITY;
  return a !== b ? a < b : positionA < positionB;
}
