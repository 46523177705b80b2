/**
 * Marketing channel of a visit, from its landing URL's query string and its
 * referrer. Rules are configurable (ChannelRules); first match wins:
 * click ids → utm_* → referrer host → Direct.
 */

import type { ChannelRules } from '../config/monitor-config.ts';
import { safeText } from '../validation/safe-text.ts';

export function classifyChannel(
  pageUrl: string | null,
  referrer: string | null,
  rules: ChannelRules,
): string {
  const params = queryParams(pageUrl);
  if (params) {
    for (const { param, channel } of rules.clickIds) if (params.get(param)) return channel;
    const source = params.get('utm_source')?.toLowerCase();
    if (source) {
      const medium = params.get('utm_medium')?.toLowerCase() ?? '';
      const u = rules.utm;
      if (u.paidMediums.includes(medium)) return u.paidChannel;
      if (u.emailSources.includes(source) || u.emailMediums.includes(medium)) return u.emailChannel;
      if (u.affiliateMediums.includes(medium)) return u.affiliateChannel;
      return u.otherChannel;
    }
  }
  const host = hostOf(referrer);
  if (host) {
    for (const { contains, channel } of rules.referrers)
      if (contains.some((c) => host.includes(c))) return channel;
    if (!host.includes(rules.shopDomain)) return rules.referralChannel;
  }
  return rules.directChannel;
}

/** utm_source of a landing URL, lower-cased and capped (it becomes a counter name); null when absent. */
export function utmSourceOf(pageUrl: string | null): string | null {
  if (!pageUrl?.includes('utm_source=')) return null; // the common case, without parsing the URL
  const source = queryParams(pageUrl)?.get('utm_source');
  const clean =
    source === undefined || source === null
      ? undefined
      : safeText(source.trim().toLowerCase(), 40).replace(/[,\s|]/g, '_');
  return clean ? clean : null;
}

/** Query parameters of a URL; null without a query. Tolerates relative and broken URLs. */
function queryParams(url: string | null): URLSearchParams | null {
  if (!url) return null;
  const hash = url.indexOf('#');
  const q = url.indexOf('?');
  if (q < 0 || (hash >= 0 && hash < q)) return null; // a '?' inside the fragment is no query
  try {
    return new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash));
  } catch {
    return null;
  }
}

/** Lower-case host of a referrer; '' when there is none or it does not parse. */
function hostOf(referrer: string | null): string {
  if (!referrer) return '';
  // the common case without the full WHATWG parser: scheme://host[:port][/?#...]
  const plain = /^https?:\/\/([a-z0-9.-]+)(?=[:/?#]|$)/i.exec(referrer);
  if (plain) return plain[1]!.toLowerCase();
  try {
    return new URL(referrer).hostname.toLowerCase();
  } catch {
    // "google.com/search" without a scheme still names a host
    return /^[a-z0-9.-]+\.[a-z]{2,}/i.exec(referrer)?.[0].toLowerCase() ?? '';
  }
}
