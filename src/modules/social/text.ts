/**
 * Control characters (C0 and C1, except line breaks and tabs) and bidirectional overrides, which
 * can disguise what a text says; removed from anything users write here.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** Plain text as stored: line breaks normalised, unsafe characters removed, trimmed. */
export function plainText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(UNSAFE, '').trim();
}
