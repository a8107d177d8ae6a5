import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateMelodyError, openStorage, type Storage } from '../../src/storage/index.ts';
import { makeTempDir } from './temp-dir.ts';

describe('melodies, trained models and settings', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let storage: Storage;
  let clock = 1_700_000_000_000;
  beforeEach(() => {
    temp = makeTempDir();
    storage = openStorage(temp.dir, { now: () => clock++ });
  });
  afterEach(() => {
    storage.close();
    temp.remove();
  });

  const nabiya = { guildId: 'g1', name: 'nabiya', ownerId: 'u1', notes: 'g8 e8 e4 f8 d8 d4', sourceKind: 'text' as const };

  it('saves a melody and finds it by name regardless of case, only in its server', () => {
    const created = storage.melodies.create(nabiya);
    expect(created).toMatchObject({ ...nabiya, id: expect.any(Number), createdAt: expect.any(Number) });
    expect(storage.melodies.get('g1', 'NABIYA')).toEqual(created);
    expect(storage.melodies.getById(created.id)).toEqual(created);
    expect(storage.melodies.get('g2', 'nabiya')).toBeNull();
  });

  it('names are unique per server (ignoring case) with an error a member can read', () => {
    storage.melodies.create(nabiya);
    let caught: unknown;
    try {
      storage.melodies.create({ ...nabiya, name: 'Nabiya', ownerId: 'u2' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DuplicateMelodyError);
    expect((caught as DuplicateMelodyError).userMessage).toMatch(/already has a melody named "Nabiya"/);
    // Another server may use the same name.
    expect(() => storage.melodies.create({ ...nabiya, guildId: 'g2' })).not.toThrow();
  });

  it('rejects an unknown source kind at the database level', () => {
    expect(() => storage.melodies.create({ ...nabiya, sourceKind: 'mp3' as 'text' })).toThrow(/CHECK constraint/);
  });

  it('lists in name order with paging, counts, and searches names for autocomplete', () => {
    for (const name of ['twinkle', 'nabiya', 'arirang', 'nabi-2', 'odd_100%']) storage.melodies.create({ ...nabiya, name });
    expect(storage.melodies.list('g1').map((m) => m.name)).toEqual(['arirang', 'nabi-2', 'nabiya', 'odd_100%', 'twinkle']);
    expect(storage.melodies.list('g1', { limit: 2, offset: 1 }).map((m) => m.name)).toEqual(['nabi-2', 'nabiya']);
    expect(storage.melodies.count('g1')).toBe(5);
    expect(storage.melodies.searchNames('g1', 'NAB')).toEqual(['nabi-2', 'nabiya']);
    // Prefix matches first, then other matches.
    expect(storage.melodies.searchNames('g1', 'n')).toEqual(['nabi-2', 'nabiya', 'arirang', 'twinkle']);
    // LIKE wildcards in what the member typed are literal.
    expect(storage.melodies.searchNames('g1', '%')).toEqual(['odd_100%']);
    expect(storage.melodies.searchNames('g1', '_')).toEqual(['odd_100%']);
    expect(storage.melodies.searchNames('g1', '', 2)).toEqual(['arirang', 'nabi-2']);
  });

  it('deleting a melody removes its models and detaches (but keeps) its jobs', () => {
    const melody = storage.melodies.create(nabiya);
    storage.models.save({ guildId: 'g1', melodyId: melody.id, modelName: 'lstm', filesDir: '/m/1' });
    const job = storage.jobs.insert({ guildId: 'g1', channelId: 'c', memberId: 'u1', melodyId: melody.id, melodyName: 'nabiya', params: {} });
    expect(storage.melodies.delete('g1', 'Nabiya')).toBe(true);
    expect(storage.melodies.delete('g1', 'nabiya')).toBe(false);
    expect(storage.models.listByMelody(melody.id)).toEqual([]);
    expect(storage.jobs.get(job.id)).toMatchObject({ melodyId: null, melodyName: 'nabiya' });
  });

  it('saving a model again for the same melody and architecture replaces it', () => {
    const melody = storage.melodies.create(nabiya);
    const first = storage.models.save({ guildId: 'g1', melodyId: melody.id, modelName: 'mlp', filesDir: '/m/a', metadata: { epochs: 10 } });
    const second = storage.models.save({
      guildId: 'g1',
      melodyId: melody.id,
      modelName: 'mlp',
      filesDir: '/m/b',
      metadata: { epochs: 2000, accuracy: 0.92, curve: [1, 0.5] },
    });
    storage.models.save({ guildId: 'g1', melodyId: melody.id, modelName: 'stateful', filesDir: '/m/c' });
    expect(second.id).toBe(first.id);
    expect(storage.models.get(melody.id, 'mlp')).toMatchObject({ filesDir: '/m/b', metadata: { epochs: 2000, accuracy: 0.92, curve: [1, 0.5] } });
    expect(storage.models.listByMelody(melody.id).map((m) => m.modelName)).toEqual(['mlp', 'stateful']);
    expect(storage.models.listByGuild('g1')).toHaveLength(2);
    expect(storage.models.get(melody.id, 'lstm')).toBeNull();
    expect(storage.models.delete(first.id)).toBe(true);
    expect(storage.models.get(melody.id, 'mlp')).toBeNull();
  });

  it('a model must belong to an existing melody', () => {
    expect(() => storage.models.save({ guildId: 'g1', melodyId: 999, modelName: 'mlp', filesDir: '/x' })).toThrow(/FOREIGN KEY/);
  });

  it('settings are per server key/value pairs', () => {
    expect(storage.settings.get('g1', 'tempo')).toBeNull();
    storage.settings.set('g1', 'tempo', '90');
    storage.settings.set('g1', 'tempo', '120');
    storage.settings.set('g1', 'instrument', 'piano');
    storage.settings.set('g2', 'tempo', '60');
    expect(storage.settings.get('g1', 'tempo')).toBe('120');
    expect(storage.settings.all('g1')).toEqual({ instrument: 'piano', tempo: '120' });
    expect(storage.settings.delete('g1', 'tempo')).toBe(true);
    expect(storage.settings.delete('g1', 'tempo')).toBe(false);
    expect(storage.settings.all('g1')).toEqual({ instrument: 'piano' });
    expect(storage.settings.get('g2', 'tempo')).toBe('60');
  });

  it('a transaction that throws leaves nothing behind', () => {
    expect(() =>
      storage.transaction(() => {
        storage.melodies.create(nabiya);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(storage.melodies.count('g1')).toBe(0);
  });
});
