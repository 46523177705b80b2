/**
 * Source formats: each format's events read into the same canonical event,
 * by configuration alone. The real export, converted row by row into every
 * format, validates to the same figures as the flat rows themselves.
 */
import type { PixelEventsCheckoutCompleted, PixelEventsPageViewed } from '@shopify/web-pixels-extension';
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../../../src/config/env.ts';
import {
  EVENT_FORMAT_NAMES,
  EVENT_FORMATS,
  type EventFormatName,
} from '../../../../src/config/formats/index.ts';
import { parseMonitorConfig } from '../../../../src/config/monitor-config.ts';
import { CONVERTERS } from '../../../../src/replay/convert.ts';
import { type CsvEvent, listCsvFiles, readCsvEvents } from '../../../../src/replay/csv-events.ts';
import { decodeSnowplowTsv, MessageDecoder } from '../../../../src/source/decode.ts';
import { ENRICHED_FIELDS, parseEnrichedEvent } from '../../../../src/source/snowplow-tsv.ts';
import { type AcceptedEvent, EventValidator } from '../../../../src/validation/event.ts';
import { ABSENT, EventReader } from '../../../../src/validation/event-reader.ts';
import { PUFFY_DIR as EXPORT_DIR } from '../../../helpers/reference.ts';

const NOW = Date.parse('2025-03-10T00:00:00Z');

function validatorFor(format: EventFormatName, extra: Record<string, unknown> = {}) {
  const config = parseMonitorConfig({ source: { format, ...extra } });
  return new EventValidator(config.ingest, null, config.source);
}
const accepted = (v: ReturnType<EventValidator['validate']>): AcceptedEvent => {
  if (!v.ok) throw new Error(`rejected: ${v.reason} (${v.detail})`);
  return v.event;
};
const problemsOf = (e: AcceptedEvent) => e.problems.map((p) => `${p.kind}:${p.field}`);

describe('segment (and RudderStack) spec events', () => {
  const segment = validatorFor('segment');
  const context = {
    page: {
      url: 'https://shop.example/p/1?utm_source=news',
      referrer: 'https://www.google.com/',
      path: '/p/1',
    },
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) Mobile/15E148 Safari/604.1',
    library: { name: 'analytics.js', version: '5.2.0' },
  };

  it('reads a page call as a page view, by its type', () => {
    const e = accepted(
      segment.validate(
        { type: 'page', anonymousId: 'a1', messageId: 'm1', timestamp: '2025-03-01T10:00:00.000Z', context },
        NOW,
      ),
    );
    expect(e).toMatchObject({
      eventName: 'page',
      role: 'pageView',
      clientId: 'a1',
      eventId: 'm1',
      trackerVersion: '5.2.0',
      appVersion: null,
      pageUrl: context.page.url,
      referrer: context.page.referrer,
      userAgent: context.userAgent,
      purchase: null,
    });
    expect(problemsOf(e)).toEqual([]);
  });

  it('reads Order Completed as a purchase: order_id, revenue (or total), currency', () => {
    const e = accepted(
      segment.validate(
        {
          type: 'track',
          event: 'Order Completed',
          anonymousId: 'a1',
          messageId: 'm2',
          timestamp: '2025-03-01T10:00:00Z',
          properties: { order_id: 'O-1', total: 1449.99, currency: 'EUR', products: [] },
          context,
        },
        NOW,
      ),
    );
    expect(e.role).toBe('purchase');
    expect(e.purchase).toEqual({ transactionId: 'O-1', revenueCents: 144999, currency: 'EUR' });
    expect(e.fieldSet).toBe(
      'anonymousId,context,event,messageId,properties,properties.currency,properties.order_id,properties.products,properties.total,timestamp,type',
    );
  });

  it('falls back to userId for the client, and takes an epoch-ms timestamp', () => {
    const e = accepted(
      segment.validate(
        {
          type: 'track',
          event: 'Product Added',
          anonymousId: null,
          userId: 'u9',
          messageId: 'm3',
          timestamp: 1740823200000,
          context,
        },
        NOW,
      ),
    );
    expect(e).toMatchObject({ clientId: 'u9', role: 'addToCart', tsMs: 1740823200000 });
  });

  it('names a nested expected field that is missing by its pointer', () => {
    const e = accepted(
      segment.validate(
        {
          type: 'track',
          event: 'Checkout Started',
          anonymousId: 'a',
          messageId: 'm',
          timestamp: '2025-03-01T10:00:00Z',
        },
        NOW,
      ),
    );
    expect(e.missingFields).toEqual(['/context/page/url', '/context/page/referrer', '/context/userAgent']);
    expect(e.role).toBe('checkoutStarted');
  });

  it('takes the event roles and paths the config gives instead of the format defaults', () => {
    const custom = validatorFor('segment', {
      mapping: {
        events: { purchase: ['Order Completed', 'Subscription Started'] },
        purchase: { revenue: '/properties/value' },
      },
      currency: 'GBP',
    });
    const e = accepted(
      custom.validate(
        {
          type: 'track',
          event: 'Subscription Started',
          anonymousId: 'a',
          messageId: 'm',
          timestamp: '2025-03-01T10:00:00Z',
          properties: { order_id: 'S-1', value: 9.5 },
          context,
        },
        NOW,
      ),
    );
    expect(e.purchase).toEqual({ transactionId: 'S-1', revenueCents: 950, currency: 'GBP' });
  });
});

describe('shopify web pixels customer events', () => {
  const shopify = validatorFor('shopify-web-pixels');
  const context = {
    document: { location: { href: 'https://shop.example/checkouts/c/1/thank-you' }, referrer: '' },
    navigator: { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/133.0.0.0 Safari/537.36' },
  };

  it('reads checkout_completed: the order id and total price with its currency', () => {
    const e = accepted(
      shopify.validate(
        {
          id: 'sh-1',
          name: 'checkout_completed',
          type: 'standard',
          clientId: 'c1',
          timestamp: '2025-03-01T10:00:00.000Z',
          context,
          data: { checkout: { order: { id: '5001' }, totalPrice: { amount: 120.5, currencyCode: 'CAD' } } },
        },
        NOW,
      ),
    );
    expect(e).toMatchObject({ role: 'purchase', eventId: 'sh-1', clientId: 'c1', referrer: null });
    expect(e.purchase).toEqual({ transactionId: '5001', revenueCents: 12050, currency: 'CAD' });
    expect(problemsOf(e)).toEqual([]);
  });

  it('reads a custom event by its name, its customData part of the field set', () => {
    const e = accepted(
      shopify.validate(
        {
          id: 'sh-2',
          name: 'newsletter_signup',
          type: 'custom',
          clientId: 'c1',
          timestamp: '2025-03-01T10:00:00Z',
          context,
          customData: { placement: 'footer' },
        },
        NOW,
      ),
    );
    expect(e.role).toBeNull();
    expect(problemsOf(e)).toEqual(['event_name_unknown:event_name']);
    expect(e.fieldSet).toContain('customData.placement');
  });
});

describe("shopify-web-pixels: the format's pointers are fields of Shopify's own event types", () => {
  // Typed by @shopify/web-pixels-extension: a field Shopify renames or drops fails the type check.
  const FIELDS = {
    '/id': (e: PixelEventsPageViewed) => e.id,
    '/name': (e: PixelEventsPageViewed) => e.name,
    '/clientId': (e: PixelEventsPageViewed) => e.clientId,
    '/timestamp': (e: PixelEventsPageViewed) => e.timestamp,
    '/context/document/location/href': (e: PixelEventsPageViewed) => e.context.document.location.href,
    '/context/document/referrer': (e: PixelEventsPageViewed) => e.context.document.referrer,
    '/context/navigator/userAgent': (e: PixelEventsPageViewed) => e.context.navigator.userAgent,
  };
  const PURCHASE = {
    '/data/checkout/order/id': (e: PixelEventsCheckoutCompleted) => e.data.checkout.order?.id,
    '/data/checkout/totalPrice/amount': (e: PixelEventsCheckoutCompleted) =>
      e.data.checkout.totalPrice?.amount,
    '/data/checkout/totalPrice/currencyCode': (e: PixelEventsCheckoutCompleted) =>
      e.data.checkout.totalPrice?.currencyCode,
    '/data/checkout/currencyCode': (e: PixelEventsCheckoutCompleted) => e.data.checkout.currencyCode,
  };
  const format = EVENT_FORMATS['shopify-web-pixels'];

  it('every default pointer is one of them', () => {
    const pointers = [
      ...Object.values(format.mapping.fields).flat(),
      ...Object.values(format.mapping.purchase).flat(),
      ...format.expectedFields,
    ];
    for (const p of pointers) expect(Object.keys({ ...FIELDS, ...PURCHASE }), p).toContain(p);
  });

  it("the converter's events carry each of them where Shopify's types put them", () => {
    const row: CsvEvent = {
      file: 'f.csv',
      line: 2,
      header: [],
      fields: {
        client_id: 'c1',
        page_url: 'https://shop.example/thanks',
        referrer: 'https://www.google.com/',
        timestamp: '2025-03-01T10:00:00.000Z',
        event_name: 'checkout_completed',
        event_data: JSON.stringify({ transaction_id: 'T-1', revenue: 99.99 }),
        user_agent: 'Mozilla/5.0',
      },
      timestampMs: null,
    };
    const event = JSON.parse(CONVERTERS['shopify-web-pixels'](row));
    const reader = new EventReader({});
    const slots = Object.keys({ ...FIELDS, ...PURCHASE }).map((p) => [p, reader.slot(p)] as const);
    reader.begin(event);
    for (const [pointer, slot] of slots) {
      const typed = { ...FIELDS, ...PURCHASE }[pointer as keyof typeof FIELDS & keyof typeof PURCHASE] as (
        e: never,
      ) => unknown;
      expect(reader.get(slot), pointer).not.toBe(ABSENT);
      expect(reader.get(slot), pointer).toEqual(typed(event as never));
    }
  });
});

describe('snowplow enriched events', () => {
  const row = (fields: Record<string, string | null>, line = 2): CsvEvent => ({
    file: 'f.csv',
    line,
    header: Object.keys(fields),
    fields,
    timestampMs: null,
  });
  const purchase = row({
    client_id: 'c1',
    page_url: 'https://shop.example/thanks',
    referrer: null,
    timestamp: '2025-03-01T10:00:00.123Z',
    event_name: 'checkout_completed',
    event_data: JSON.stringify({ transaction_id: 'T-1', revenue: 99.99 }),
    user_agent: 'Mozilla/5.0',
  });

  it('parses the 131 tab-separated fields by position, typed', () => {
    const line = CONVERTERS.snowplow(purchase);
    expect(line.split('\t')).toHaveLength(ENRICHED_FIELDS.length);
    const parsed = parseEnrichedEvent(line);
    expect(parsed.ok && parsed.event).toMatchObject({
      event: 'transaction',
      domain_userid: 'c1',
      tr_orderid: 'T-1',
      tr_total: 99.99,
      tr_currency: 'USD',
      derived_tstamp: '2025-03-01T10:00:00.123Z',
    });
    expect(parsed.ok && 'page_referrer' in parsed.event).toBe(false);
  });

  it('keys a self-describing event by its schema, as the Analytics SDKs do', () => {
    const line = CONVERTERS.snowplow(
      row({ ...purchase.fields, event_name: 'product_added_to_cart', event_data: '{"sku":"S1"}' }),
    );
    const parsed = parseEnrichedEvent(line);
    expect(parsed.ok && parsed.event.unstruct_event_com_shop_add_to_cart_1).toEqual({ sku: 'S1' });
  });

  it('refuses a line that is not an enriched event, saying which field', () => {
    expect(decodeSnowplowTsv(Buffer.from('a\tb\tc'))).toMatchObject({ ok: false, reason: 'decode_error' });
    const fields = CONVERTERS.snowplow(purchase).split('\t');
    fields[61] = 'lots'; // tr_total
    const bad = decodeSnowplowTsv(Buffer.from(fields.join('\t')));
    expect(bad).toMatchObject({ ok: false, reason: 'decode_error' });
    expect(!bad.ok && bad.detail).toContain('tr_total');
    expect(!bad.ok && bad.detail).not.toContain('lots');
  });

  it('reads the transaction as a purchase', () => {
    const decoded = decodeSnowplowTsv(Buffer.from(CONVERTERS.snowplow(purchase)));
    if (!decoded.ok) throw new Error(decoded.detail);
    const e = accepted(validatorFor('snowplow').validate(decoded.value, NOW));
    expect(e).toMatchObject({
      role: 'purchase',
      clientId: 'c1',
      eventName: 'transaction',
      trackerVersion: 'js-3.24.0',
    });
    expect(e.purchase).toEqual({ transactionId: 'T-1', revenueCents: 9999, currency: 'USD' });
  });
});

describe('the mapping is configuration: errors name each problem on its own line', () => {
  it.each([
    [{ format: 'segmnet' }, /source\.format: .*segment/],
    [
      { mapping: { fields: { clientID: '/anonymousId' } } },
      /source\.mapping\.fields\.clientID: unknown key \(did you mean "?clientId"?\?\)/,
    ],
    [
      { mapping: { fields: { pageUrl: 'context.page.url' } } },
      /source\.mapping\.fields\.pageUrl: .*JSON Pointer/,
    ],
    [
      { mapping: { events: { purchse: ['Order Completed'] } } },
      /source\.mapping\.events\.purchse: unknown key/,
    ],
    [{ currency: 'usd' }, /source\.currency: .*ISO 4217/],
  ])('%j', (source, line) => {
    let problems: string[] = [];
    try {
      parseMonitorConfig({ source });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(
      problems.some((p) => line.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('eventIdWindowHours: 0 reads no event id: nothing is deduplicated', () => {
    const e = accepted(
      validatorFor('segment', { eventIdWindowHours: 0 }).validate(
        { type: 'page', anonymousId: 'a', messageId: 'm1', timestamp: '2025-03-01T10:00:00Z' },
        NOW,
      ),
    );
    expect(e.eventId).toBeNull();
  });

  it('names every problem of one file, not only the first', () => {
    let problems: string[] = [];
    try {
      parseMonitorConfig({
        source: { format: 'segment', mapping: { fields: { clientID: '/a', pageUrl: 'x' } } },
      });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toHaveLength(2);
  });
});

/** One day of the real export, row by row: what matters of each event is the same in every format. */
describe('the real export in every format reads as the flat rows do', async () => {
  const file = listCsvFiles([EXPORT_DIR]).find((f) => f.endsWith('20250301.csv'))!;
  const rows: CsvEvent[] = [];
  for await (const r of readCsvEvents(file, () => {})) rows.push(r);
  const flat = validatorFor('flat');
  const reference = rows.map((r) => accepted(flat.validate(JSON.parse(CONVERTERS.flat(r)), NOW)));
  const essentials = (e: AcceptedEvent) => ({
    tsMs: e.tsMs,
    clientId: e.clientId,
    role: e.role,
    pageUrl: e.pageUrl,
    referrer: e.referrer,
    userAgent: e.userAgent,
    purchase: e.purchase && {
      transactionId: e.purchase.transactionId,
      revenueCents: e.purchase.revenueCents,
    },
  });

  it.each(EVENT_FORMAT_NAMES.filter((f) => f !== 'flat'))('%s', (format) => {
    const validator = validatorFor(format);
    const { ingest, source } = parseMonitorConfig({ source: { format } });
    const decoder = new MessageDecoder(undefined, ingest.maxMessageBytes, source.payload);
    const ids = new Set<string>();
    rows.forEach((row, i) => {
      const value = Buffer.from(CONVERTERS[format](row));
      const decoded = decoder.decodePlain(value);
      if (!decoded.ok) throw new Error(decoded.detail);
      const e = accepted(validator.validate(decoded.value, NOW));
      expect(essentials(e)).toEqual(essentials(reference[i]!));
      expect(e.missingFields).toEqual([]);
      ids.add(e.eventId!);
    });
    expect(ids.size).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(3000);
  });
});
