/**
 * The Segment spec, which RudderStack follows: track, page, screen and
 * identify calls (https://segment.com/docs/connections/spec/), with the
 * e-commerce spec's events in the funnel roles. A page call has no `event`:
 * its type, "page", names it.
 */
import type { EventFormat } from './format.ts';

/** The V2 e-commerce spec's events. */
const ECOMMERCE_EVENTS = [
  'Products Searched',
  'Product List Viewed',
  'Product List Filtered',
  'Promotion Viewed',
  'Promotion Clicked',
  'Product Clicked',
  'Product Viewed',
  'Product Added',
  'Product Removed',
  'Cart Viewed',
  'Checkout Started',
  'Checkout Step Viewed',
  'Checkout Step Completed',
  'Payment Info Entered',
  'Order Updated',
  'Order Completed',
  'Order Refunded',
  'Order Cancelled',
  'Coupon Entered',
  'Coupon Applied',
  'Coupon Denied',
  'Coupon Removed',
  'Product Added to Wishlist',
  'Product Removed from Wishlist',
  'Wishlist Product Added to Cart',
  'Product Shared',
  'Cart Shared',
  'Product Reviewed',
];

export const segment: EventFormat = {
  payload: 'json',
  mapping: {
    fields: {
      clientId: ['/anonymousId', '/userId'],
      eventName: ['/event', '/type'],
      timestamp: ['/timestamp', '/originalTimestamp'],
      pageUrl: ['/context/page/url', '/properties/url'],
      referrer: ['/context/page/referrer', '/properties/referrer'],
      userAgent: ['/context/userAgent'],
      eventId: ['/messageId'],
      appVersion: ['/context/app/version'],
      trackerVersion: ['/context/library/version'],
    },
    events: {
      pageView: ['page'],
      addToCart: ['Product Added'],
      checkoutStarted: ['Checkout Started'],
      purchase: ['Order Completed'],
    },
    purchase: {
      orderId: ['/properties/order_id'],
      revenue: ['/properties/revenue', '/properties/total'],
      currency: ['/properties/currency'],
    },
  },
  jsonTextFields: [],
  shapeObjects: ['/properties'],
  expectedFields: [
    '/anonymousId',
    '/messageId',
    '/timestamp',
    '/type',
    '/context/page/url',
    '/context/page/referrer',
    '/context/userAgent',
  ],
  knownEventNames: ['page', 'screen', 'identify', 'group', 'alias', ...ECOMMERCE_EVENTS],
  fieldAliases: {},
};
