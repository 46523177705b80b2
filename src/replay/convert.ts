/**
 * A flat export row as the event another source format would have sent for
 * it: a Segment / RudderStack spec call, a Shopify Web Pixels customer event,
 * or a Snowplow enriched event. The replay and the demo use it to stream the
 * real export in every format; the same tracking failures carry over where
 * the format can carry them (a column renamed exists only in the flat shape;
 * an empty Snowplow field is absent by definition).
 *
 * Each event gets a stable id from its file and line, so replaying the same
 * export twice sends the same ids, as a producer's retry would.
 */
import { createHash } from 'node:crypto';
import type { EventFormatName } from '../config/formats/index.ts';
import { formatEnrichedEvent } from '../source/snowplow-tsv.ts';
import type { CsvEvent } from './csv-events.ts';

/** The export's names for the funnel, and what each format calls them. */
const SEGMENT_NAMES: ReadonlyMap<string, string> = new Map([
  ['product_added_to_cart', 'Product Added'],
  ['checkout_started', 'Checkout Started'],
  ['checkout_completed', 'Order Completed'],
]);
const SNOWPLOW_NAMES: ReadonlyMap<string, string> = new Map([
  ['page_viewed', 'page_view'],
  ['product_added_to_cart', 'add_to_cart'],
  ['checkout_started', 'checkout_step'],
  ['checkout_completed', 'transaction'],
]);
const SHOPIFY_STANDARD = new Set([
  'page_viewed',
  'product_added_to_cart',
  'checkout_started',
  'checkout_completed',
]);

/** The currency the converted purchases carry (the export has none; its shop sells in USD). */
const CURRENCY = 'USD';

/** A row's fields as the formats read them. */
interface Row {
  id: string;
  clientId: string | null;
  name: string | null;
  timestamp: string | null;
  pageUrl: string | null;
  /** undefined: the export had no referrer column that day. */
  referrer: string | null | undefined;
  userAgent: string | null;
  data: Record<string, unknown> | null;
}

function rowOf(e: CsvEvent): Row {
  const f = e.fields;
  const client = Object.hasOwn(f, 'client_id') ? f.client_id : f.clientId;
  let data: Record<string, unknown> | null = null;
  if (f.event_data) {
    try {
      const parsed: unknown = JSON.parse(f.event_data);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        data = parsed as Record<string, unknown>;
    } catch {
      data = null;
    }
  }
  return {
    id: stableId(`${e.file}:${e.line}`),
    clientId: client ?? null,
    name: f.event_name ?? null,
    timestamp: f.timestamp ?? null,
    pageUrl: f.page_url ?? null,
    referrer: Object.hasOwn(f, 'referrer') ? f.referrer : undefined,
    userAgent: f.user_agent ?? null,
    data,
  };
}

/** A UUID-shaped id (v5 layout) from text. */
function stableId(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function urlParts(url: string | null): { path?: string; search?: string } {
  if (!url) return {};
  try {
    const u = new URL(url);
    return { path: u.pathname, search: u.search };
  } catch {
    return {};
  }
}

interface Item {
  item_id?: unknown;
  item_name?: unknown;
  item_variant?: unknown;
  quantity?: unknown;
  item_price?: unknown;
}
const itemsOf = (data: Record<string, unknown> | null): Item[] =>
  Array.isArray(data?.items) ? (data.items as Item[]) : [];

export function toSegment(e: CsvEvent): Record<string, unknown> {
  const r = rowOf(e);
  const page = r.name === 'page_viewed';
  let properties: Record<string, unknown> | undefined;
  if (r.name === 'checkout_completed' && r.data) {
    const { transaction_id, revenue, items: _items, ...rest } = r.data;
    properties = {
      ...rest,
      ...(transaction_id !== undefined ? { order_id: transaction_id } : {}),
      ...(revenue !== undefined ? { revenue, total: revenue } : {}),
      currency: CURRENCY,
      products: itemsOf(r.data).map((i) => ({
        product_id: i.item_id,
        name: i.item_name,
        variant: i.item_variant,
        quantity: i.quantity,
        price: i.item_price,
      })),
    };
  } else if (r.data) properties = r.data;
  return {
    type: page ? 'page' : 'track',
    ...(page ? {} : { event: r.name === null ? null : (SEGMENT_NAMES.get(r.name) ?? r.name) }),
    anonymousId: r.clientId,
    messageId: r.id,
    timestamp: r.timestamp,
    ...(properties ? { properties } : {}),
    context: {
      page: {
        url: r.pageUrl,
        ...urlParts(r.pageUrl),
        ...(r.referrer !== undefined ? { referrer: r.referrer ?? '' } : {}),
      },
      userAgent: r.userAgent,
      library: { name: 'analytics.js', version: '5.2.0' },
    },
  };
}

export function toShopifyWebPixels(e: CsvEvent): Record<string, unknown> {
  const r = rowOf(e);
  const standard = r.name !== null && SHOPIFY_STANDARD.has(r.name);
  let data: Record<string, unknown> | undefined;
  if (r.name === 'checkout_completed' && r.data) {
    const { transaction_id, revenue } = r.data;
    const amount = revenue !== undefined ? { totalPrice: { amount: revenue, currencyCode: CURRENCY } } : {};
    data = {
      checkout: {
        order: transaction_id !== undefined ? { id: transaction_id } : {},
        ...amount,
        currencyCode: CURRENCY,
        lineItems: itemsOf(r.data).map((i) => ({
          id: i.item_id,
          title: i.item_name,
          quantity: i.quantity,
          variant: { title: i.item_variant, price: { amount: i.item_price, currencyCode: CURRENCY } },
        })),
      },
    };
  } else if (r.name === 'product_added_to_cart') data = { cartLine: r.data ?? {} };
  else if (r.name === 'checkout_started') data = { checkout: r.data ?? {} };
  else if (standard) data = r.data ?? {};
  return {
    id: `sh-${r.id}`,
    name: r.name,
    type: standard ? 'standard' : 'custom',
    clientId: r.clientId,
    timestamp: r.timestamp,
    context: {
      document: {
        location: { href: r.pageUrl },
        ...(r.referrer !== undefined ? { referrer: r.referrer ?? '' } : {}),
      },
      navigator: { userAgent: r.userAgent },
    },
    ...(standard ? { data } : { customData: r.data ?? {} }),
  };
}

/** Snowplow enriched event fields; formatEnrichedEvent lays them out as Enrich writes them. */
export function toSnowplow(e: CsvEvent): string {
  const r = rowOf(e);
  const name = r.name === null ? undefined : (SNOWPLOW_NAMES.get(r.name) ?? r.name);
  const legacy = name === 'page_view' || name === 'transaction';
  const fields: Record<string, string | number | boolean | undefined> = {
    app_id: 'shop',
    platform: 'web',
    etl_tstamp: r.timestamp ?? undefined,
    collector_tstamp: r.timestamp ?? undefined,
    dvce_created_tstamp: r.timestamp ?? undefined,
    derived_tstamp: r.timestamp ?? undefined,
    event: legacy ? name : 'unstruct',
    event_id: r.id,
    name_tracker: 'sp',
    v_tracker: 'js-3.24.0',
    v_collector: 'ssc-3.2.0-kafka',
    v_etl: 'snowplow-enrich-kafka-5.0.0',
    domain_userid: r.clientId ?? undefined,
    page_url: r.pageUrl ?? undefined,
    page_referrer: r.referrer ?? undefined,
    useragent: r.userAgent ?? undefined,
    event_vendor: legacy ? 'com.snowplowanalytics.snowplow' : 'com.shop',
    event_name: name,
    event_format: 'jsonschema',
    event_version: '1-0-0',
  };
  if (name === 'transaction' && r.data) {
    const { transaction_id, revenue } = r.data;
    fields.tr_orderid = typeof transaction_id === 'string' ? transaction_id : undefined;
    fields.tr_total = typeof revenue === 'number' ? revenue : undefined;
    fields.tr_currency = CURRENCY;
  } else if (!legacy && name !== undefined) {
    fields.unstruct_event = JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
      data: { schema: `iglu:com.shop/${name}/jsonschema/1-0-0`, data: r.data ?? {} },
    });
  }
  return formatEnrichedEvent(fields);
}

/** The message value a row becomes in a format (flat: the row as JSON). */
export const CONVERTERS: Record<EventFormatName, (e: CsvEvent) => string> = {
  flat: (e) => JSON.stringify(e.fields),
  segment: (e) => JSON.stringify(toSegment(e)),
  'shopify-web-pixels': (e) => JSON.stringify(toShopifyWebPixels(e)),
  snowplow: toSnowplow,
};
