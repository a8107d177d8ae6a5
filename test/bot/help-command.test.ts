import { describe, expect, it } from 'vitest';
import { helpText, NABIYA_EXAMPLE } from '../../commands/help.ts';
import { clip, inlineCode } from '../../src/bot/text.ts';

const commands = (...names: string[]) => new Map(names.map((name) => [name, { data: { description: `does ${name}` } }]));

describe('/help text', () => {
  it('lists exactly the loaded commands, sorted, with their descriptions', () => {
    const text = helpText(commands('melody', 'help'));
    expect(text).toContain('• `/help` — does help\n• `/melody` — does melody');
    expect(text).not.toContain('/train');
  });

  it('suggests the next steps only for commands that exist', () => {
    expect(helpText(commands('help', 'melody', 'train', 'complete'))).toContain(
      'then `/train melody:nabiya` to teach a model the song, then `/complete melody:nabiya`',
    );
    expect(helpText(commands('help'))).not.toMatch(/^then /m);
  });

  it('carries the tutorial example and the whole note grammar within one message', () => {
    const text = helpText(commands('help', 'melody', 'train', 'complete', 'jobs', 'cancel', 'play', 'stop'));
    expect(text).toContain(`\`${NABIYA_EXAMPLE}\``);
    expect(NABIYA_EXAMPLE).toBe('/melody add name:nabiya notes:g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4');
    for (const piece of ['`a`–`g`', '`#`', '`b`', '`1`', '`16`', '`e4.`', '`c5:8`', "`c'8`", '`g,8`', '`r4`', '`|`']) expect(text).toContain(piece);
    expect(text.length).toBeLessThanOrEqual(2000);
  });
});

describe('text helpers', () => {
  it('clip bounds by characters, not UTF-16 units, and marks the cut', () => {
    expect(clip('나비야 나비야', 3)).toBe('나비…');
    expect(clip('🦋🦋🦋', 2)).toBe('🦋…');
    expect(clip('short', 10)).toBe('short');
    expect(clip('abc', 0)).toBe('');
  });

  it('inlineCode keeps member text inside the code span', () => {
    expect(inlineCode('a`b\nc')).toBe('`aˋb c`');
    expect(inlineCode('x'.repeat(200), 10)).toBe('`xxxxxxxxx…`');
  });
});
