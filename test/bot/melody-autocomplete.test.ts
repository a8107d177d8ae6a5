import type { AutocompleteInteraction } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerMelodyNames, MAX_CHOICES, melodyChoices } from '../../src/bot/melody-autocomplete.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { makeTempDir } from '../storage/temp-dir.ts';

/** The parts of an AutocompleteInteraction that answerMelodyNames reads, recording the answer. */
function fakeInteraction(focused: { name: string; value: string }, guildId: string | null) {
  const answers: { name: string; value: string }[][] = [];
  const interaction = {
    guildId,
    inGuild: () => guildId !== null,
    options: { getFocused: () => focused },
    respond: async (choices: { name: string; value: string }[]) => {
      answers.push(choices);
    },
  };
  return { interaction: interaction as unknown as AutocompleteInteraction, answers };
}

describe('melody-name autocomplete', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let storage: Storage;
  beforeEach(() => {
    temp = makeTempDir();
    storage = openStorage(temp.dir);
    for (const name of ['nabi remix', 'ballad', 'other server song']) {
      storage.melodies.create({ guildId: name.startsWith('other') ? 'g2' : 'g1', name, ownerId: 'u1', notes: 'c8 d8 e8 f8 g8', sourceKind: 'text' });
    }
  });
  afterEach(() => {
    storage.close();
    temp.remove();
  });

  it("suggests the server's melodies first, then matching built-in songs, never another server's", async () => {
    const { interaction, answers } = fakeInteraction({ name: 'melody', value: 'nab' }, 'g1');
    await answerMelodyNames(interaction, storage, 'melody');
    expect(answers).toEqual([[{ name: 'nabi remix', value: 'nabi remix' }, { name: 'nabiya', value: 'nabiya' }]]);
    const all = fakeInteraction({ name: 'melody', value: '' }, 'g1');
    await answerMelodyNames(all.interaction, storage, 'melody');
    const values = all.answers[0]?.map((c) => c.value) ?? [];
    expect(values.slice(0, 2).sort()).toEqual(['ballad', 'nabi remix']);
    expect(values).toContain('nabiya');
    expect(values).not.toContain('other server song');
  });

  it('answers nothing for another focused option or outside a server', async () => {
    const other = fakeInteraction({ name: 'model', value: 'nab' }, 'g1');
    await answerMelodyNames(other.interaction, storage, 'melody');
    expect(other.answers).toEqual([[]]);
    const dm = fakeInteraction({ name: 'melody', value: 'nab' }, null);
    await answerMelodyNames(dm.interaction, storage, 'melody');
    expect(dm.answers).toEqual([[]]);
  });

  it("keeps within Discord's limits: 25 choices of at most 100 characters", () => {
    const names = Array.from({ length: 40 }, (_, i) => `${'x'.repeat(120)}${i}`);
    const choices = melodyChoices(names);
    expect(choices).toHaveLength(MAX_CHOICES);
    for (const c of choices) {
      expect(c.name.length).toBeLessThanOrEqual(100);
      expect(c.value.length).toBeLessThanOrEqual(100);
    }
  });
});
