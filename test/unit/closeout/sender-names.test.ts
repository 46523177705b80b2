import { describe, expect, it } from 'vitest';
import { boundNames, EVENT_NAME, looksLikeFieldSet } from '../../../src/closeout/sender-names.ts';

describe('sender-chosen names in reports', () => {
  const bounds = { keep: new Set(['page_viewed']), looksLikeName: (n: string) => EVENT_NAME.test(n), top: 2 };

  it('keeps configured names, the most frequent names that look right, and sums the rest', () => {
    expect(
      boundNames(
        {
          page_viewed: 1,
          a_event: 5,
          b_event: 9,
          c_event: 1,
          'x@y.com': 3,
          'Bad Name': 2,
          ['z'.repeat(65)]: 1,
        },
        bounds,
      ),
    ).toEqual({ page_viewed: 1, b_event: 9, a_event: 5, 'other (4 distinct)': 7 });
  });

  it('adds nothing when nothing is folded', () => {
    expect(boundNames({ page_viewed: 4 }, bounds)).toEqual({ page_viewed: 4 });
  });

  it('shows a field set only when every field in it looks like a field name', () => {
    expect(looksLikeFieldSet('clientId,event_name,timestamp')).toBe(true);
    expect(looksLikeFieldSet('event_name,user@example.com')).toBe(false);
  });
});
