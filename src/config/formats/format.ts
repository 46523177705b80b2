/**
 * What a source format is: how its events arrive (JSON or Snowplow's enriched
 * TSV) and where each canonical role sits in them. A format is a declaration,
 * nothing else: the decoder reads `payload`, the validator compiles the
 * mapping once into accessors (validation/mapping.ts). Pure data.
 */

/** One or more JSON Pointers (RFC 6901) into the event; the first one present wins. */
export type Pointers = readonly string[];

/** The roles of an event the monitor reads, each as pointers into the event. */
export const FIELD_ROLES = [
  /** The visitor: the first pointer with a value wins (Segment: anonymousId, else userId). */
  'clientId',
  'eventName',
  'timestamp',
  'pageUrl',
  'referrer',
  'userAgent',
  /** Where present, an event delivered again with the same id counts once. */
  'eventId',
  /** The site's or app's release, and the tracker library's version: which release a break came with. */
  'appVersion',
  'trackerVersion',
] as const;
export type FieldRole = (typeof FIELD_ROLES)[number];

/** The event names that play each funnel role (a role may have several). */
export const EVENT_ROLES = ['pageView', 'addToCart', 'checkoutStarted', 'purchase'] as const;
export type EventRole = (typeof EVENT_ROLES)[number];

/** Where a purchase carries its order id, revenue and currency. */
export const PURCHASE_FIELDS = ['orderId', 'revenue', 'currency'] as const;
export type PurchaseField = (typeof PURCHASE_FIELDS)[number];

export interface EventMapping {
  fields: Partial<Record<FieldRole, Pointers>> & Pick<Record<FieldRole, Pointers>, 'timestamp' | 'eventName'>;
  events: Record<EventRole, readonly string[]>;
  purchase: Partial<Record<PurchaseField, Pointers>> &
    Pick<Record<PurchaseField, Pointers>, 'orderId' | 'revenue'>;
}

export interface EventFormat {
  /** How a message's bytes become an object: UTF-8 JSON (any format may use the Confluent wire format) or Snowplow's enriched TSV. */
  payload: 'json' | 'snowplow-tsv';
  mapping: EventMapping;
  /** Fields that arrive as JSON text and are read as the object they hold (the flat export's event_data). */
  jsonTextFields: readonly string[];
  /**
   * Objects whose keys, besides the top level's, make an event's field set
   * (schema drift): where a format keeps its payload (Segment's properties).
   */
  shapeObjects: readonly string[];
  /** Fields every event of the format should carry: bare top-level names or JSON Pointers. */
  expectedFields: readonly string[];
  /** Event names the format defines: anything else is reported as an unknown name. */
  knownEventNames: readonly string[];
  /** alias → canonical top-level field, for renames (the flat export's clientId). */
  fieldAliases: Readonly<Record<string, string>>;
}

/**
 * The funnel's event names in Shopify's standard events, which the flat
 * export also uses: the default of both formats.
 */
export const SHOPIFY_FUNNEL_EVENTS: EventMapping['events'] = {
  pageView: ['page_viewed'],
  addToCart: ['product_added_to_cart'],
  checkoutStarted: ['checkout_started'],
  purchase: ['checkout_completed'],
};
