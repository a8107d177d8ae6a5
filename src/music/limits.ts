// Bounds on what a member may hand the notation parsers. They keep one message or attachment
// from tying up the bot's main thread or turning into a training set nobody can learn from.

/** Most notes and rests one melody may hold. */
export const MAX_EVENTS = 1000;

/** Most characters of notation text (tokens or ABC) accepted in one go. */
export const MAX_TEXT = 20_000;

/** Largest attachment read as a melody file; a 1000-note melody is a few kilobytes in any format. */
export const MAX_FILE_BYTES = 256 * 1024;

/** Longest title kept from a file or an ABC T: line. */
export const MAX_TITLE = 100;

/** Longest snippet of a member's input quoted back inside an error message. */
export const MAX_QUOTED = 24;

/** Octaves a pitch may sit in: C0 (MIDI 12) up to B8 (MIDI 119) — past a piano at both ends. */
export const MIN_OCTAVE = 0;
export const MAX_OCTAVE = 8;

/**
 * Tempos (quarter notes per minute) a melody may ask for. The floor matters most: rendering
 * 1000 notes at 1 bpm would mean hours of audio.
 */
export const MIN_TEMPO = 20;
export const MAX_TEMPO = 400;
