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
  const params = mayNameChannel(pageUrl, rules) ? queryOf(pageUrl) : null;
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
    if (!isOwnSite(host, pageUrl, rules)) return rules.referralChannel;
  }
  return rules.directChannel;
}

/**
 * Whether a referrer host is the shop's own site: on the configured domain, or, without
 * one, the landing page's host (www. aside), a subdomain of it, or it a subdomain of the
 * referrer's (a checkout on shop.example referred from www.shop.example).
 */
function isOwnSite(host: string, pageUrl: string | null, rules: ChannelRules): boolean {
  if (rules.shopDomain !== undefined) return host.includes(rules.shopDomain);
  const page = hostOf(pageUrl);
  if (!page) return false;
  const a = host.replace(/^www\./, '');
  const b = page.replace(/^www\./, '');
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** Per rules: the "name=" of every query parameter that can decide a channel. */
const deciding = new WeakMap<ChannelRules, string[]>();

/**
 * Whether the URL's query can name a channel: it holds one of the deciding
 * parameters with a value, or percent-escapes that could spell one. Most
 * landing URLs hold neither, and are spared the query parser.
 */
function mayNameChannel(pageUrl: string | null, rules: ChannelRules): boolean {
  if (!pageUrl?.includes('?')) return false;
  let names = deciding.get(rules);
  if (!names) {
    names = [...rules.clickIds.map((c) => `${c.param}=`), 'utm_source='];
    deciding.set(rules, names);
  }
  return pageUrl.includes('%') || names.some((n) => pageUrl.includes(n));
}

/** utm_source of a landing URL, lower-cased and capped (it becomes a counter name); null when absent. */
export function utmSourceOf(pageUrl: string | null): string | null {
  if (!pageUrl?.includes('utm_source=')) return null; // the common case, without parsing the URL
  const source = queryOf(pageUrl)?.get('utm_source');
  const clean =
    source === undefined || source === null
      ? undefined
      : safeText(source.trim().toLowerCase(), 40).replace(/[,\s|]/g, '_');
  return clean ? clean : null;
}

/** What the channel rules ask of a query: a parameter's first value, as URLSearchParams gives it. */
interface Query {
  get(name: string): string | null;
}

/**
 * The query of a URL; null without one. Tolerates relative and broken URLs.
 * A query without escapes ('%', '+') is read in place, without building
 * URLSearchParams: the same first value of a name, far cheaper per event.
 */
function queryOf(url: string | null): Query | null {
  if (!url) return null;
  const hash = url.indexOf('#');
  const q = url.indexOf('?');
  if (q < 0 || (hash >= 0 && hash < q)) return null; // a '?' inside the fragment is no query
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  if (query.includes('%') || query.includes('+')) {
    try {
      return new URLSearchParams(query);
    } catch {
      return null;
    }
  }
  return { get: (name) => plainParam(query, name) };
}

/** The first value of `name` in an unescaped query ("a=1&b=2"), '' for a name without '='; null when absent. */
function plainParam(query: string, name: string): string | null {
  let at = 0;
  while (at <= query.length) {
    const end = query.indexOf('&', at);
    const stop = end < 0 ? query.length : end;
    const eq = query.indexOf('=', at);
    const nameEnd = eq >= 0 && eq < stop ? eq : stop;
    // an empty part ("a=1&&b=2") has no name, as URLSearchParams reads it
    if (stop > at && nameEnd - at === name.length && query.startsWith(name, at))
      return nameEnd === stop ? '' : query.slice(nameEnd + 1, stop);
    if (end < 0) return null;
    at = end + 1;
  }
  return null;
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
