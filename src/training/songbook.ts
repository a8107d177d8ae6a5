import { UserError } from '../bot/errors.ts';
import { clip } from '../bot/text.ts';
import type { Melody } from '../music/melody.ts';
import { SONGBOOK, type Song } from '../music/songbook.ts';
import { formatTokens, parseTokens } from '../music/tokens.ts';
import { DuplicateMelodyError, type MelodyRecord, type Storage } from '../storage/index.ts';

// A server's songbook as commands see it: its own melodies, plus the built-in songs (나비야 and the
// others in src/music/songbook.ts) that every server can use without adding them.
//
// Built-ins are read-only and always listed. They need a row of their own only once something is
// attached to them (a trained model belongs to a melody row): the first /train of a built-in copies
// it into the server's songbook, owned by no member (BUILTIN_OWNER), so only Manage Server can
// delete that copy — which removes its trained models; the built-in itself stays available.
// A member may add their own melody under a built-in's name: the server's melody then wins.

export const BUILTIN_OWNER = 'built-in';

export const NAME_MAX = 40;
const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.'-]*(?: [\p{L}\p{N}\p{M}_.'-]+)*$/u;

export interface SongbookEntry {
  /** The name as stored (server melody) or the built-in's key. */
  readonly name: string;
  readonly melody: Melody;
  /** The server's row; null for a built-in not used here yet. */
  readonly record: MelodyRecord | null;
  /** The built-in song this is (or is a copy of); null for a member's melody. */
  readonly builtin: Song | null;
}

/** The name as it will be stored, or a UserError saying which rule it breaks. */
export function checkMelodyName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  const shown = clip(name.replace(/[`\r\n]/g, ' '), 50);
  if (name.length === 0) throw new UserError('Give the melody a name.');
  if (Array.from(name).length > NAME_MAX) {
    throw new UserError(`Melody names are at most ${NAME_MAX} characters; \`${shown}\` has ${Array.from(name).length}.`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new UserError(
      `\`${shown}\` is not a usable melody name: use letters (any script, e.g. 나비야), digits, single spaces and \`- _ . '\`, starting with a letter or digit.`,
    );
  }
  return name;
}

/** The built-in called `name` (its key or an alias, ignoring case), or null. */
export function builtinSong(name: string): Song | null {
  const wanted = name.normalize('NFC').trim().toLowerCase();
  return Object.values(SONGBOOK).find((song: Song) => song.name === wanted || song.aliases.some((alias) => alias.toLowerCase() === wanted)) ?? null;
}

export function melodyOfRecord(record: MelodyRecord): Melody {
  return parseTokens(record.notes);
}

/** The melody a member means by `name` in this server, or null. */
export function findMelody(storage: Storage, guildId: string, name: string): SongbookEntry | null {
  const trimmed = name.normalize('NFC').trim();
  if (trimmed === '') return null;
  const record = storage.melodies.get(guildId, trimmed);
  if (record) return { name: record.name, melody: melodyOfRecord(record), record, builtin: record.ownerId === BUILTIN_OWNER ? builtinSong(record.name) : null };
  const song = builtinSong(trimmed);
  if (!song) return null;
  const copy = storage.melodies.get(guildId, song.name);
  if (copy) return { name: copy.name, melody: melodyOfRecord(copy), record: copy, builtin: copy.ownerId === BUILTIN_OWNER ? song : null };
  return { name: song.name, melody: song.melody, record: null, builtin: song };
}

/** Like findMelody, with a UserError that suggests names when there is no such melody. */
export function requireMelody(storage: Storage, guildId: string, name: string): SongbookEntry {
  const entry = findMelody(storage, guildId, name);
  if (entry) return entry;
  const near = suggestMelodyNames(storage, guildId, name.slice(0, 3), 5);
  const hint = near.length > 0 ? ` Did you mean ${near.map((n) => `\`${n}\``).join(', ')}?` : '';
  throw new UserError(`There is no melody named \`${clip(name.replace(/[`\r\n]/g, ' '), 50)}\` in this server's songbook.${hint} See \`/melody list\`.`);
}

/** The server's row for the entry, copying a built-in into the songbook on first use. */
export function ensureMelodyRecord(storage: Storage, guildId: string, entry: SongbookEntry): MelodyRecord {
  if (entry.record) return entry.record;
  try {
    return storage.melodies.create({ guildId, name: entry.name, ownerId: BUILTIN_OWNER, notes: formatTokens(entry.melody), sourceKind: 'text' });
  } catch (error) {
    if (!(error instanceof DuplicateMelodyError)) throw error;
    const existing = storage.melodies.get(guildId, entry.name);
    if (!existing) throw error;
    return existing;
  }
}

/** Names for autocomplete: the server's melodies matching `fragment`, then matching built-ins. */
export function suggestMelodyNames(storage: Storage, guildId: string, fragment: string, limit = 25): string[] {
  const own = storage.melodies.searchNames(guildId, fragment.trim(), limit);
  const seen = new Set(own.map((name) => name.toLowerCase()));
  const wanted = fragment.trim().toLowerCase();
  const builtins = Object.values(SONGBOOK)
    .filter((song: Song) => !seen.has(song.name) && (song.name.includes(wanted) || song.aliases.some((a) => a.toLowerCase().includes(wanted))))
    .map((song: Song) => song.name);
  return [...own, ...builtins].slice(0, limit);
}

/** Every built-in song, in songbook order. */
export function builtinSongs(): Song[] {
  return Object.values(SONGBOOK);
}
