import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_QUEUE_LENGTH, PlayQueue, QueueFullError } from '../../src/voice/queue.ts';
import { toVoicePcm } from '../../src/voice/pcm.ts';

// The play queue without Discord: order of play, /stop, and leaving after the idle time.

function makeQueue(idleMs = 60_000) {
  const events: string[] = [];
  const queue: PlayQueue<string> = new PlayQueue<string>({
    play: (track) => events.push(`play ${track}`),
    stopCurrent: () => events.push('stop current'),
    leave: () => events.push('leave'),
    idleMs,
    timers: { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) },
  });
  return { queue, events };
}

describe('PlayQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('plays the first track at once and the others in order, each after the previous finished', () => {
    const { queue, events } = makeQueue();
    expect(queue.enqueue('a')).toBe(0);
    expect(queue.enqueue('b')).toBe(1);
    expect(queue.enqueue('c')).toBe(2);
    expect(events).toEqual(['play a']);
    expect(queue.current).toBe('a');
    expect(queue.waiting).toEqual(['b', 'c']);
    queue.finished('a');
    expect(events).toEqual(['play a', 'play b']);
    queue.finished('b');
    queue.finished('c');
    expect(events).toEqual(['play a', 'play b', 'play c']);
    expect(queue.current).toBeNull();
  });

  it('ignores a late report from a track that is no longer current', () => {
    const { queue, events } = makeQueue();
    queue.enqueue('a');
    queue.enqueue('b');
    queue.finished('a');
    queue.finished('a'); // duplicate: must not skip b
    expect(queue.current).toBe('b');
    expect(events).toEqual(['play a', 'play b']);
  });

  it('leaves after the idle time once nothing is left, and not before', () => {
    const { queue, events } = makeQueue(60_000);
    queue.enqueue('a');
    vi.advanceTimersByTime(120_000); // playing: no idle timer
    expect(events).toEqual(['play a']);
    queue.finished('a');
    expect(queue.idle).toBe(true);
    vi.advanceTimersByTime(59_999);
    expect(events).not.toContain('leave');
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['play a', 'leave']);
    expect(queue.left).toBe(true);
    expect(() => queue.enqueue('b')).toThrow(/left/);
  });

  it('a play during the idle time cancels the leave', () => {
    const { queue, events } = makeQueue(1000);
    queue.enqueue('a');
    queue.finished('a');
    vi.advanceTimersByTime(900);
    expect(queue.enqueue('b')).toBe(0);
    expect(queue.idle).toBe(false);
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(['play a', 'play b']);
    queue.finished('b');
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(['play a', 'play b', 'leave']);
  });

  it('stop clears the waiting tracks, stops the current one and arms the idle timer', () => {
    const { queue, events } = makeQueue(1000);
    queue.enqueue('a');
    queue.enqueue('b');
    queue.enqueue('c');
    expect(queue.stop()).toBe(3);
    expect(events).toEqual(['play a', 'stop current']);
    expect(queue.current).toBeNull();
    expect(queue.waiting).toEqual([]);
    queue.finished('a'); // the stopped player's idle report
    expect(events).toEqual(['play a', 'stop current']);
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(['play a', 'stop current', 'leave']);
  });

  it('stop with nothing playing drops nothing; idle time 0 leaves at once after the last track', () => {
    const { queue, events } = makeQueue(0);
    expect(queue.stop()).toBe(0);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(events).toEqual(['leave']);
  });

  it('refuses more than MAX_QUEUE_LENGTH waiting tracks with a message for the member', () => {
    const { queue } = makeQueue();
    queue.enqueue('now');
    for (let i = 0; i < MAX_QUEUE_LENGTH; i++) queue.enqueue(`t${i}`);
    expect(() => queue.enqueue('one too many')).toThrow(QueueFullError);
    try {
      queue.enqueue('again');
    } catch (error) {
      expect((error as QueueFullError).userMessage).toMatch(/already holds 20 melodies/);
    }
  });

  it('dispose forgets everything and never leaves (the session is destroyed anyway)', () => {
    const { queue, events } = makeQueue(10);
    queue.enqueue('a');
    queue.finished('a');
    queue.dispose();
    vi.advanceTimersByTime(100);
    expect(events).toEqual(['play a']);
    expect(queue.left).toBe(true);
  });
});

describe('toVoicePcm', () => {
  it('makes 48 kHz stereo s16le, mono on both sides, clamped', () => {
    const pcm = toVoicePcm({ sampleRate: 48_000, channels: [Float32Array.from([0, 1, -1, 0.5, 2])] });
    expect(pcm.length).toBe(5 * 4);
    const values = Array.from({ length: 10 }, (_, i) => pcm.readInt16LE(i * 2));
    expect(values).toEqual([0, 0, 32767, 32767, -32768, -32768, 16384, 16384, 32767, 32767]);
  });

  it('refuses another sample rate', () => {
    expect(() => toVoicePcm({ sampleRate: 44_100, channels: [new Float32Array(4)] })).toThrow(/48000 Hz/);
  });
});
