import { describe, expect, it } from 'vitest';
import { formatAbc } from '../../src/music/abc.ts';
import { MAX_FILE_BYTES } from '../../src/music/limits.ts';
import { writeMidi } from '../../src/music/midi.ts';
import { parseMelodyText, readMelodyFile } from '../../src/music/parse.ts';
import { SONGBOOK } from '../../src/music/songbook.ts';
import { formatTokens } from '../../src/music/tokens.ts';
import { notationError } from './helpers.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const nabiya = SONGBOOK.nabiya.melody;

describe('parseMelodyText', () => {
  it('reads ABC when there is an X: or K: line, tokens otherwise', () => {
    expect(formatTokens(parseMelodyText('X:1\nK:C\nC D'))).toBe('c8 d8');
    expect(formatTokens(parseMelodyText('K:G\nF'))).toBe('f#8');
    expect(formatTokens(parseMelodyText('  K:C\nc'))).toBe('c5:8');
    expect(formatTokens(parseMelodyText('c4 d4'))).toBe('c4 d4');
    expect(formatTokens(parseMelodyText("seq = ['g8', 'e8']"))).toBe('g8 e8');
  });

  it('ignores Discord code formatting, keeping error columns true to the message', () => {
    expect(formatTokens(parseMelodyText('`g8 e8 e4`'))).toBe('g8 e8 e4');
    expect(formatTokens(parseMelodyText('```\ng8 e8\n```'))).toBe('g8 e8');
    expect(formatTokens(parseMelodyText('```abc\nX:1\nK:G\nF2\n```'))).toBe('f#4');
    const error = notationError(() => parseMelodyText('`g8 h8`'));
    expect(error.column).toBe(4);
    const abcError = notationError(() => parseMelodyText('```abc\nX:1\nK:C\nC [CE]\n```'));
    expect(abcError).toMatchObject({ position: 4, column: 2 });
  });

  it('passes on the notation\'s own errors', () => {
    expect(notationError(() => parseMelodyText('g8 h8')).message).toContain('token 2 `h8`');
    expect(notationError(() => parseMelodyText('X:1\nK:C\n[CE]')).message).toContain('line 3, column 1');
  });
});

describe('readMelodyFile', () => {
  it('reads MIDI by extension, in any case', () => {
    const midi = writeMidi(nabiya);
    expect(readMelodyFile('nabiya.mid', midi).events).toEqual(nabiya.events);
    expect(readMelodyFile('NABIYA.MIDI', midi).events).toEqual(nabiya.events);
  });

  it('reads .abc as ABC and .txt as either notation', () => {
    expect(readMelodyFile('song.abc', bytes(formatAbc(nabiya))).events).toEqual(nabiya.events);
    expect(readMelodyFile('song.txt', bytes(formatAbc(nabiya))).events).toEqual(nabiya.events);
    expect(readMelodyFile('song.txt', bytes(formatTokens(nabiya))).events).toEqual(nabiya.events);
    expect(readMelodyFile('bom.txt', bytes(`\uFEFF${formatTokens(nabiya)}`)).events).toEqual(nabiya.events);
    // An .abc file without headers is still ABC: `C` is a C eighth, not a token error.
    expect(formatTokens(readMelodyFile('bare.abc', bytes('C D')))).toBe('c8 d8');
  });

  it('refuses other extensions, saying which are allowed', () => {
    for (const name of ['score.pdf', 'song.mp3', 'README', 'archive.mid.zip']) {
      const error = notationError(() => readMelodyFile(name, bytes('g8')));
      expect(error.token).toBe(name);
      expect(error.allowed).toBe('attach a .mid, .midi, .abc or .txt file');
    }
  });

  it('refuses files that are too large or not text', () => {
    const big = notationError(() => readMelodyFile('big.mid', new Uint8Array(MAX_FILE_BYTES + 1)));
    expect(big.reason).toContain('too large');
    const binary = notationError(() => readMelodyFile('song.txt', new Uint8Array([0x67, 0x38, 0xff, 0xfe])));
    expect(binary.reason).toContain('UTF-8');
    const renamed = notationError(() => readMelodyFile('song.mid', bytes('g8 e8')));
    expect(renamed.reason).toBe('not a MIDI file');
  });
});
