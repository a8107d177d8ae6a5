import { describe, expect, it } from 'vitest';
import { fairOrder, type WaitingJob } from '../../src/queue/index.ts';

const job = (id: number, guildId: string, recovered = false): WaitingJob => ({ id, guildId, position: id, recovered });
const ids = (jobs: readonly WaitingJob[]): number[] => jobs.map((j) => j.id);

describe('fairOrder', () => {
  it('is first-in first-out within one server', () => {
    expect(ids(fairOrder([job(3, 'a'), job(1, 'a'), job(2, 'a')], new Map()))).toEqual([1, 2, 3]);
  });

  it('takes servers in turn so one busy server cannot starve the others', () => {
    const waiting = [job(1, 'a'), job(2, 'a'), job(3, 'a'), job(4, 'b'), job(5, 'b'), job(6, 'c')];
    expect(ids(fairOrder(waiting, new Map()))).toEqual([1, 4, 6, 2, 5, 3]);
  });

  it('a server served recently waits behind servers served longer ago or never', () => {
    const waiting = [job(1, 'a'), job(2, 'b'), job(3, 'c')];
    expect(ids(fairOrder(waiting, new Map([['a', 10], ['b', 5]])))).toEqual([3, 2, 1]);
  });

  it('jobs interrupted by a restart go first, in their own order, and count as a turn', () => {
    const waiting = [job(1, 'a'), job(2, 'b'), job(7, 'b', true), job(5, 'a', true)];
    expect(ids(fairOrder(waiting, new Map()))).toEqual([5, 7, 1, 2]);
  });

  it('returns nothing for an empty queue', () => {
    expect(fairOrder([], new Map([['a', 1]]))).toEqual([]);
  });
});
