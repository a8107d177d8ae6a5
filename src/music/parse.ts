import { parseAbc } from './abc.ts';
import { NotationError } from './errors.ts';
import { MAX_FILE_BYTES, MAX_TEXT } from './limits.ts';
import type { Melody } from './melody.ts';
import { readMidi } from './midi.ts';
import { parseTokens } from './tokens.ts';

// One door for everything a member can send: typed text or an attachment. Callers need not know
// which notation it is in; they get a Melody or a NotationError worth showing.

const MIDI_EXTENSIONS = ['.mid', '.midi'];
const ABC_EXTENSIONS = ['.abc'];
const TEXT_EXTENSIONS = ['.txt'];
const ALLOWED_FILES = 'attach a .mid, .midi, .abc or .txt file';

/** True when the text is an ABC tune: some line starts with an `X:` or `K:` header. */
export function looksLikeAbc(text: string): boolean {
  return /^[ \t]*[XK]:/m.test(text);
}

/**
 * ABC when the text has an X: or K: header line, Nabi's token syntax otherwise. Discord code
 * formatting around it (```abc … ``` or `…`) is ignored.
 */
export function parseMelodyText(text: string): Melody {
  const plain = blankCodeFences(text);
  return looksLikeAbc(plain) ? parseAbc(plain) : parseTokens(plain);
}

/**
 * Blanks out Markdown code fences and backticks rather than cutting them, so that the lines and
 * columns in error messages still point into what the member typed.
 */
export function blankCodeFences(text: string): string {
  return text
    .replace(/```[A-Za-z]*[ \t]*(?=\r?\n|$)|```/g, (fence) => ' '.repeat(fence.length))
    .replace(/`/g, ' ');
}

/** Reads an attachment by its extension: MIDI, ABC, or text in either notation. */
export function readMelodyFile(filename: string, bytes: Uint8Array): Melody {
  const extension = /\.[^./\\]+$/.exec(filename.toLowerCase())?.[0] ?? '';
  const known = [...MIDI_EXTENSIONS, ...ABC_EXTENSIONS, ...TEXT_EXTENSIONS];
  if (!known.includes(extension)) {
    throw new NotationError({
      token: filename, position: 0, column: 0, where: 'file',
      reason: extension ? `cannot read ${extension} files` : 'the file name has no extension',
      allowed: ALLOWED_FILES,
    });
  }
  if (bytes.length > MAX_FILE_BYTES) {
    throw new NotationError({
      token: filename, position: 0, column: 0, where: 'file',
      reason: `file too large (${bytes.length} bytes)`,
      allowed: `files up to ${MAX_FILE_BYTES / 1024} KiB are read`,
    });
  }
  if (MIDI_EXTENSIONS.includes(extension)) return readMidi(bytes);
  const text = decodeText(filename, bytes);
  return ABC_EXTENSIONS.includes(extension) ? parseAbc(text) : parseMelodyText(text);
}

function decodeText(filename: string, bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new NotationError({
      token: filename, position: 0, column: 0, where: 'file',
      reason: 'the file is not UTF-8 text',
      allowed: `save it as plain UTF-8 text, or ${ALLOWED_FILES}`,
    });
  }
  if (text.length > MAX_TEXT) {
    throw new NotationError({
      token: filename, position: 0, column: MAX_TEXT, where: 'file',
      reason: `text too long (${text.length} characters)`,
      allowed: `at most ${MAX_TEXT} characters of notation`,
    });
  }
  return text;
}
