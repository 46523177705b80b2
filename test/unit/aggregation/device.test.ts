/**
 * Device classes from real user agents of the export (ua-parser-js and isbot
 * decide; this pins how their answers map to our classes) and utm_source.
 */
import { describe, expect, it } from 'vitest';
import { utmSourceOf } from '../../../src/aggregation/channel.ts';
import { classifyDevice } from '../../../src/aggregation/device.ts';

describe('classifyDevice', () => {
  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'mobile',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
      'mobile',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'tablet',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      'desktop',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      'desktop',
    ],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
    [
      'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'bot',
    ],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'bot'],
    ['python-requests/2.31.0', 'bot'],
    [
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
      'other',
    ],
  ])('%s → %s', (ua, expected) => {
    expect(classifyDevice(ua)).toBe(expected);
  });

  it('an empty or missing user agent is unknown, not desktop', () => {
    expect(classifyDevice(null)).toBe('unknown');
    expect(classifyDevice('')).toBe('unknown');
  });
});

describe('utmSourceOf', () => {
  it('reads utm_source from the query, lower-cased, and ignores it elsewhere', () => {
    expect(utmSourceOf('https://puffy.com/?utm_source=Google&utm_medium=cpc')).toBe('google');
    expect(utmSourceOf('https://puffy.com/p?x=1&utm_source=news%20letter')).toBe('news_letter');
    expect(utmSourceOf('https://puffy.com/#utm_source=google')).toBeNull(); // in the fragment
    expect(utmSourceOf('https://puffy.com/?utm_source=')).toBeNull();
    expect(utmSourceOf('https://puffy.com/')).toBeNull();
    expect(utmSourceOf(null)).toBeNull();
  });

  it('caps a long source so it cannot flood the day counters', () => {
    expect(utmSourceOf(`https://puffy.com/?utm_source=${'a'.repeat(500)}`)).toHaveLength(40);
  });
});
