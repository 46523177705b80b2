/** ` (did you mean "X"?)` when a valid name is close to what was written, else nothing. */
import { closest, distance } from 'fastest-levenshtein';

export function didYouMean(written: string, valid: readonly string[]): string {
  if (valid.length === 0) return '';
  const near = closest(written, valid as string[]);
  return distance(written, near) <= Math.max(2, written.length / 3) ? ` (did you mean "${near}"?)` : '';
}
