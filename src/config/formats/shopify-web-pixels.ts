/**
 * Shopify Web Pixels customer events (https://shopify.dev/docs/api/web-pixels-api/standard-events):
 * standard events by `name`, custom ones by `name` with `customData`. The
 * standard names are the funnel's.
 */
import { type EventFormat, SHOPIFY_FUNNEL_EVENTS } from './format.ts';

const STANDARD_EVENTS = [
  'alert_displayed',
  'cart_viewed',
  'checkout_address_info_submitted',
  'checkout_completed',
  'checkout_contact_info_submitted',
  'checkout_shipping_info_submitted',
  'checkout_started',
  'collection_viewed',
  'page_viewed',
  'payment_info_submitted',
  'product_added_to_cart',
  'product_removed_from_cart',
  'product_viewed',
  'search_submitted',
  'ui_extension_errored',
];

export const shopifyWebPixels: EventFormat = {
  payload: 'json',
  mapping: {
    fields: {
      clientId: ['/clientId'],
      eventName: ['/name'],
      timestamp: ['/timestamp'],
      pageUrl: ['/context/document/location/href'],
      referrer: ['/context/document/referrer'],
      userAgent: ['/context/navigator/userAgent'],
      eventId: ['/id'],
    },
    events: SHOPIFY_FUNNEL_EVENTS,
    purchase: {
      orderId: ['/data/checkout/order/id'],
      revenue: ['/data/checkout/totalPrice/amount'],
      currency: ['/data/checkout/totalPrice/currencyCode', '/data/checkout/currencyCode'],
    },
  },
  jsonTextFields: [],
  shapeObjects: ['/data', '/customData'],
  expectedFields: [
    '/id',
    '/name',
    '/clientId',
    '/timestamp',
    '/context/document/location/href',
    '/context/document/referrer',
    '/context/navigator/userAgent',
  ],
  knownEventNames: STANDARD_EVENTS,
  fieldAliases: {},
};
