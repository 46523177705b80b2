import { describe, expect, it } from 'vitest';
import { classifyChannel, utmSourceOf } from '../../../src/aggregation/channel.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';

const rules = parseMonitorConfig({}).channels;
const ch = (url: string | null, ref: string | null = null) => classifyChannel(url, ref, rules);

describe('channel rules (defaults, first match wins)', () => {
  it.each([
    ['https://puffy.com/?gclid=abc', null, 'Paid Search'],
    ['https://puffy.com/?fbclid=abc', null, 'Paid Social'],
    ['https://puffy.com/?gclid=abc&fbclid=x', null, 'Paid Search'],
    ['https://puffy.com/?gclid=&fbclid=x', null, 'Paid Social'], // empty value does not count
    ['https://puffy.com/?utm_source=google&utm_medium=CPC', null, 'Paid Search'],
    ['https://puffy.com/?utm_source=x&utm_medium=ppc', null, 'Paid Search'],
    ['https://puffy.com/?utm_source=x&utm_medium=paid', null, 'Paid Search'],
    ['https://puffy.com/?utm_source=Klaviyo', null, 'Email'],
    ['https://puffy.com/?utm_source=EMAIL&utm_medium=x', null, 'Email'],
    ['https://puffy.com/?utm_source=news&utm_medium=email', null, 'Email'],
    ['https://puffy.com/?utm_source=partner&utm_medium=affiliate', null, 'Affiliate'],
    ['https://puffy.com/?utm_source=18F8FA&utm_medium=9A780E', null, 'Other'],
    ['https://puffy.com/?utm_source=', 'https://www.google.com/', 'Organic Search'], // empty utm_source falls through
    ['https://puffy.com/', 'https://www.bing.com/search?q=x', 'Organic Search'],
    ['https://puffy.com/', 'https://l.facebook.com/', 'Organic Social'],
    ['https://puffy.com/', 'https://www.instagram.com/', 'Organic Social'],
    ['https://puffy.com/', 'https://source-afb1343a.com/', 'Affiliate'],
    ['https://puffy.com/', 'https://www.reddit.com/r/sleep', 'Referral'],
    ['https://puffy.com/', 'https://puffy.com/products', 'Direct'], // own domain is not a referral
    ['https://puffy.com/', 'https://checkout.puffy.com/', 'Direct'],
    ['https://puffy.com/', null, 'Direct'],
    [null, null, 'Direct'],
    ['not a url ?gclid=1', null, 'Paid Search'],
    ['https://puffy.com/#x?gclid=1', null, 'Direct'],
  ])('%s (referrer %s) → %s', (url, ref, expected) => {
    expect(ch(url, ref)).toBe(expected);
  });

  it('follows configured rules', () => {
    const custom = parseMonitorConfig({
      channels: { shopDomain: 'example.org', clickIds: [{ param: 'msclkid', channel: 'Bing Ads' }] },
    }).channels;
    expect(classifyChannel('https://example.org/?msclkid=1&gclid=2', null, custom)).toBe('Bing Ads');
    expect(classifyChannel('https://example.org/', 'https://puffy.com/', custom)).toBe('Referral');
  });

  it('reads a query only when it can name a channel, percent-escaped names included', () => {
    expect(ch('https://puffy.com/products/x?variant=1&color=blue')).toBe('Direct');
    expect(ch('https://puffy.com/?utm%5Fsource=google&utm_medium=cpc')).toBe('Paid Search');
    expect(ch('https://puffy.com/?g%63lid=abc')).toBe('Paid Search');
    expect(ch('https://puffy.com/?xgclid=abc')).toBe('Direct');
    expect(ch('https://puffy.com/?gclid=')).toBe('Direct');
  });

  it('reads a query in place exactly as URLSearchParams does', () => {
    const parts = ['utm_source=google', 'utm_source=', 'utm_source', 'utm_sourcex=1', '=v', '', 'a=b=c', 'x'];
    for (const a of parts)
      for (const b of parts)
        for (const sep of ['&', '&&']) {
          const query = `${a}${sep}${b}`;
          const source = new URLSearchParams(query).get('utm_source')?.trim().toLowerCase();
          expect(utmSourceOf(`https://puffy.com/?${query}#utm_source=no`), query).toBe(
            source ? source : null,
          );
        }
  });
});
