/**
 * Sender text made safe for the state. Strings reach Redis inside a JSON
 * payload that the apply script decodes with cjson, which refuses an escaped
 * lone UTF-16 surrogate ("\ud83d") and with it the whole batch: cutting an
 * emoji in half, or a sender sending "\ud800", must not stop a partition.
 * So: well-formed UTF-16 (a lone surrogate becomes U+FFFD), no control
 * characters (U+FFFD too), and at most `maxLength` UTF-16 units, cut on a
 * code-point boundary.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function safeText(value: string, maxLength: number): string {
  let s = value.isWellFormed() ? value : value.toWellFormed();
  if (HAS_CONTROL.test(s)) s = s.replace(CONTROL, '\uFFFD');
  return cutAtCodePoint(s, maxLength);
}

/** The first `maxLength` UTF-16 units, one fewer when the cut would split a surrogate pair. */
export function cutAtCodePoint(s: string, maxLength: number): string {
  if (s.length <= maxLength) return s;
  const last = s.charCodeAt(maxLength - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? maxLength - 1 : maxLength);
}
