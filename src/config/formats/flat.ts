/** A flat export, one column per field, event_data as JSON text: the default. */
import { type EventFormat, SHOPIFY_FUNNEL_EVENTS } from './format.ts';

export const flat: EventFormat = {
  payload: 'json',
  mapping: {
    fields: {
      clientId: ['/client_id'],
      eventName: ['/event_name'],
      timestamp: ['/timestamp'],
      pageUrl: ['/page_url'],
      referrer: ['/referrer'],
      userAgent: ['/user_agent'],
      eventId: ['/event_id'],
    },
    events: SHOPIFY_FUNNEL_EVENTS,
    purchase: {
      orderId: ['/event_data/transaction_id'],
      revenue: ['/event_data/revenue'],
      currency: ['/event_data/currency'],
    },
  },
  jsonTextFields: ['/event_data'],
  shapeObjects: [],
  expectedFields: [
    'client_id',
    'page_url',
    'referrer',
    'timestamp',
    'event_name',
    'event_data',
    'user_agent',
  ],
  knownEventNames: [
    'page_viewed',
    'email_filled_on_popup',
    'product_added_to_cart',
    'checkout_started',
    'checkout_completed',
  ],
  fieldAliases: { clientId: 'client_id' },
};
