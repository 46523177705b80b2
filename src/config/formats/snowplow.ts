/**
 * Snowplow enriched events as Enrich writes them to Kafka: tab-separated, by
 * field position (https://docs.snowplow.io/docs/fundamentals/canonical-event/),
 * read into an object of the populated fields as Snowplow's Analytics SDKs do
 * (source/snowplow-tsv.ts). Legacy e-commerce: `transaction` events carry
 * tr_orderid, tr_total and tr_currency.
 */
import type { EventFormat } from './format.ts';

export const snowplow: EventFormat = {
  payload: 'snowplow-tsv',
  mapping: {
    fields: {
      clientId: ['/domain_userid', '/user_id'],
      eventName: ['/event_name', '/event'],
      timestamp: ['/derived_tstamp', '/collector_tstamp'],
      pageUrl: ['/page_url'],
      referrer: ['/page_referrer'],
      userAgent: ['/useragent'],
      eventId: ['/event_id'],
      trackerVersion: ['/v_tracker'],
    },
    events: {
      pageView: ['page_view'],
      addToCart: ['add_to_cart'],
      checkoutStarted: ['checkout_step'],
      purchase: ['transaction'],
    },
    purchase: {
      orderId: ['/tr_orderid'],
      revenue: ['/tr_total'],
      currency: ['/tr_currency'],
    },
  },
  jsonTextFields: [],
  shapeObjects: [],
  // Enrich leaves a field empty when the tracker sent none: an empty referrer (direct traffic) or
  // visitor id (a null client, judged by its own check) is no missing field.
  expectedFields: ['/event_id', '/derived_tstamp', '/page_url', '/useragent'],
  knownEventNames: [
    'page_view',
    'page_ping',
    'link_click',
    'add_to_cart',
    'remove_from_cart',
    'checkout_step',
    'transaction',
    'transaction_item',
    'event',
    'snowplow_ecommerce_action',
  ],
  fieldAliases: {},
};
