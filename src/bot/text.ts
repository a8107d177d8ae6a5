// Anything a member typed that goes back into a message is bounded here; pings are prevented
// separately by allowedMentions on the client and on every reply.

export const MESSAGE_LIMIT = 2000;

/** Shortens `text` to at most `max` characters, ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  if (max < 1) return '';
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Text shown inside inline code: backticks would end the span, so they are replaced. */
export function inlineCode(text: string, max = 100): string {
  return `\`${clip(text.replace(/`/g, 'ˋ').replace(/\s+/g, ' '), max)}\``;
}
