import { UnknownSongError } from './errors.ts';
import type { Melody } from './melody.ts';
import { parseTokens } from './tokens.ts';

// Songs every server starts with. 나비야 is the tutorial's `seq`, note for note, so Nabi can be held
// to the tutorial's published results; the others are public-domain tunes transcribed by hand in
// the token syntax, chosen to exercise what the tutorial's 14 codes cannot: sharps and flats,
// other octaves, dotted notes, and a compound meter.

export interface Song {
  /** Key used in commands, lowercase and hyphenated. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly melody: Melody;
  /** Other names a member might type for it. */
  readonly aliases: readonly string[];
}

interface SongSource {
  readonly title: string;
  readonly description: string;
  readonly aliases?: readonly string[];
  readonly tempo: number;
  readonly beats: number;
  readonly beatValue: 4 | 8;
  readonly key: string;
  readonly notes: string;
}

const SOURCES = {
  nabiya: {
    title: '나비야 (Butterfly)',
    description: 'Korean children\'s song; the Keras tutorial\'s 54 notes, exactly as its `seq` lists them.',
    aliases: ['나비야', 'butterfly'],
    tempo: 100,
    beats: 2,
    beatValue: 4,
    key: 'C',
    notes: `
      g8 e8 e4 | f8 d8 d4 | c8 d8 e8 f8 | g8 g8 g4 |
      g8 e8 e8 e8 | f8 d8 d4 | c8 e8 g8 g8 | e8 e8 e4 |
      d8 d8 d8 d8 | d8 e8 f4 | e8 e8 e8 e8 | e8 f8 g4 |
      g8 e8 e4 | f8 d8 d4 | c8 e8 g8 g8 | e8 e8 e4 |]`,
  },
  twinkle: {
    title: 'Twinkle, Twinkle, Little Star',
    description: 'French melody "Ah! vous dirai-je, maman" (18th c.), C major, 4/4.',
    aliases: ['twinkle-twinkle', 'little-star'],
    tempo: 100,
    beats: 4,
    beatValue: 4,
    key: 'C',
    notes: `
      c4 c4 g4 g4 | a4 a4 g2 | f4 f4 e4 e4 | d4 d4 c2 |
      g4 g4 f4 f4 | e4 e4 d2 | g4 g4 f4 f4 | e4 e4 d2 |
      c4 c4 g4 g4 | a4 a4 g2 | f4 f4 e4 e4 | d4 d4 c2 |]`,
  },
  'ode-to-joy': {
    title: 'Ode to Joy',
    description: 'Beethoven, Symphony No. 9 (1824), main theme in D major, 4/4: sharps and dotted notes.',
    aliases: ['ode', 'beethoven'],
    tempo: 108,
    beats: 4,
    beatValue: 4,
    key: 'D',
    notes: `
      f#4 f#4 g4 a4 | a4 g4 f#4 e4 | d4 d4 e4 f#4 | f#4. e8 e2 |
      f#4 f#4 g4 a4 | a4 g4 f#4 e4 | d4 d4 e4 f#4 | e4. d8 d2 |]`,
  },
  'frere-jacques': {
    title: 'Frère Jacques',
    description: 'French round (18th c.) in F major, 4/4: B-flats and notes in octave 5.',
    aliases: ['brother-john', 'are-you-sleeping'],
    tempo: 110,
    beats: 4,
    beatValue: 4,
    key: 'F',
    notes: `
      f4 g4 a4 f4 | f4 g4 a4 f4 | a4 bb4 c5:2 | a4 bb4 c5:2 |
      c5:8 d5:8 c5:8 bb8 a4 f4 | c5:8 d5:8 c5:8 bb8 a4 f4 | f4 c4 f2 | f4 c4 f2 |]`,
  },
  'row-your-boat': {
    title: 'Row, Row, Row Your Boat',
    description: 'American round (1852) in C major, 6/8: dotted notes, eighths in threes, a high c.',
    aliases: ['row-row', 'row'],
    tempo: 100,
    beats: 6,
    beatValue: 8,
    key: 'C',
    notes: `
      c4. c4. | c4 d8 e4. | e4 d8 e4 f8 | g2. |
      c'8 c'8 c'8 g8 g8 g8 | e8 e8 e8 c8 c8 c8 | g4 f8 e4 d8 | c2. |]`,
  },
} as const satisfies Record<string, SongSource>;

export type SongName = keyof typeof SOURCES;

export const SONGBOOK: Readonly<Record<SongName, Song>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SOURCES).map(([name, source]: [string, SongSource]) => [name, toSong(name, source)]),
  ) as Record<SongName, Song>,
);

export const SONG_NAMES = Object.keys(SONGBOOK) as readonly SongName[];

/** The built-in song called `name` (or one of its aliases), ignoring case, spaces and accents. */
export function getSong(name: string): Song {
  const wanted = normalize(name);
  const song = Object.values(SONGBOOK).find(
    (s: Song) => normalize(s.name) === wanted || s.aliases.some((alias) => normalize(alias) === wanted),
  );
  if (!song) throw new UnknownSongError(name, SONG_NAMES);
  return song;
}

function toSong(name: string, source: SongSource): Song {
  const { events } = parseTokens(source.notes);
  return {
    name,
    title: source.title,
    description: source.description,
    aliases: source.aliases ?? [],
    melody: {
      events,
      title: source.title,
      tempo: source.tempo,
      timeSignature: { beats: source.beats, beatValue: source.beatValue },
      key: source.key,
    },
  };
}

function normalize(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase().replace(/[\s_]+/g, '-');
}
