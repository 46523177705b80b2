/**
 * What to do when a check fires: the runbook text that travels with each
 * alert. Taken from the seed monitor's playbooks where it gives one.
 */
export interface Playbook {
  title: string;
  investigate: string[];
  resolution: string;
}

export const PLAYBOOKS: Record<string, Playbook> = {
  low_event_volume: {
    title: 'Daily event volume below minimum',
    investigate: [
      'Check for a site outage or a tracking script that failed to load',
      'Compare with the web server or CDN request counts for the day',
      'Look at the stream health dashboard for the hour the rate dropped',
    ],
    resolution:
      'Restore the tracking script or pipeline stage that stopped sending; replay the gap if the source kept it',
  },
  high_event_volume: {
    title: 'Daily event volume above maximum',
    investigate: [
      'Check for bot traffic (user agents, single clients with many events)',
      'Check for duplicate sends from the tracker',
    ],
    resolution:
      'Filter bots or fix the double send; raise the threshold if the growth is real (promotion, season)',
  },
  high_null_client_rate: {
    title: 'High NULL client_id rate',
    investigate: [
      'Check tracking code deployment history',
      'Review browser console for JS errors',
      'Check ad blocker/privacy tool adoption',
      'Verify cookie consent implementation',
    ],
    resolution: 'Typically requires a frontend engineering fix',
  },
  missing_columns: {
    title: 'Schema change: expected fields missing',
    investigate: ['Check tracking code version', 'Review recent deployments', 'Contact frontend team'],
    resolution: 'Revert tracking code or update the pipeline to handle the new schema',
  },
  schema_drift: {
    title: 'Schema drift: the set of fields changed',
    investigate: [
      'Compare the field sets in the JSON report with the previous day',
      'Check tracking code version and recent deployments',
      'Check whether a field was renamed (an alias) rather than dropped',
    ],
    resolution:
      'Revert tracking code, or add the new name to ingest.fieldAliases and update downstream models',
  },
  invalid_timestamps: {
    title: 'Events rejected for their timestamp',
    investigate: [
      'Read the rejected messages on the dead-letter topic (reason timestamp_missing or timestamp_invalid)',
      'Check the tracker for a changed timestamp format or time zone',
    ],
    resolution: 'Fix the tracker to send ISO-8601 timestamps with a zone; replay the dead letters once fixed',
  },
  low_revenue: {
    title: 'Daily revenue below minimum',
    investigate: [
      'Compare with the order system for the day',
      'Check checkout_completed tracking on the thank-you page',
    ],
    resolution:
      'Significant business issue or tracking failure: escalate to the checkout team if orders are missing too',
  },
  low_conversions: {
    title: 'Daily conversions below minimum',
    investigate: ['Compare with the order system', 'Check the checkout_completed event and its event_data'],
    resolution: 'Checkout tracking may be broken: fix the purchase event',
  },
  no_purchases: {
    title: 'No purchase events at all',
    investigate: [
      'Check that the thank-you page still fires checkout_completed',
      'Check recent checkout or payment provider changes',
    ],
    resolution: 'Restore the purchase event; orders of the day must be backfilled from the order system',
  },
  revenue_anomaly: {
    title: 'Revenue unusual against its 7-day baseline',
    investigate: [
      'Check promotions, pricing changes and large orders',
      'Check duplicate or missing purchase events',
    ],
    resolution: 'Unusual day: confirm with the business; fix tracking if the order system disagrees',
  },
  aov_anomaly: {
    title: 'Average order value unusual against its 7-day baseline',
    investigate: [
      'Check pricing and discount changes',
      'Check the revenue field of checkout_completed events',
    ],
    resolution: 'Pricing issue or data problem: correct the revenue field if the tracker is wrong',
  },
  conversion_anomaly: {
    title: 'Conversions unusual against their 7-day baseline',
    investigate: ['Compare with the order system', 'Check the funnel dashboard for where clients drop'],
    resolution: 'Fix checkout tracking if orders exist that the events miss',
  },
  traffic_anomaly: {
    title: 'Event volume unusual against its 7-day baseline',
    investigate: ['Check campaigns and bot traffic', 'Check for tracking outages in part of the day'],
    resolution: 'Confirm the cause; raise or lower the thresholds for known campaigns with an override',
  },
  event_volume_shift: {
    title: 'Event volume differs from its 7-day average by more than 20%',
    investigate: ['Check the hourly event rate on the stream health dashboard', 'Check campaigns and bots'],
    resolution: 'Confirm whether the change is real; fix tracking if part of the site stopped sending',
  },
  event_volume_drop: {
    title: 'Event volume below half of its 7-day average',
    investigate: [
      'Check for a site outage or a tracking script that failed to load',
      'Check the hour the rate dropped',
    ],
    resolution: 'Restore tracking; replay the gap if the source kept it',
  },
  page_view_drop: {
    title: 'Page views dropped by more than 25% against their 7-day average',
    investigate: ['Check the page_viewed event on the main templates', 'Check for a tracking script change'],
    resolution: 'Restore the page view event',
  },
  duplicate_transactions: {
    title: 'Duplicate transactions',
    investigate: [
      'Check checkout page for double-submit protection',
      'Review webhook retry logic',
      'Check for payment processor duplicates',
    ],
    resolution: 'Add deduplication at checkout event capture',
  },
  funnel_inversion: {
    title: 'Funnel inversion: more purchasing clients than checkout clients',
    investigate: ['Check that checkout_started fires on every checkout path (express pay, one-click)'],
    resolution: 'Tracking gap in the funnel: add the missing checkout_started event',
  },
  zero_conversions: {
    title: 'Cart activity without any conversion',
    investigate: [
      'Check the checkout_completed event on the thank-you page',
      'Check payment provider status',
    ],
    resolution: 'Checkout tracking broken: restore the purchase event',
  },
  traffic_concentration: {
    title: 'One channel holds more than 80% of clients',
    investigate: ['Check UTM and click-id parameters on landing pages', 'Check referrer capture'],
    resolution:
      'Unusual concentration, possibly broken attribution: fix the campaign tagging or referrer capture',
  },
  missing_channel: {
    title: 'An expected channel has no clients',
    investigate: [
      'Check UTM and click-id parameters (gclid) on paid landing pages',
      'Check referrer capture',
    ],
    resolution: 'Attribution tracking may be broken: restore the parameters the channel rules need',
  },
  session_length_shift: {
    title: 'Mean session length moved beyond 2.5 std of its 7-day baseline',
    investigate: [
      'Check releases on that day: slower pages or broken navigation lengthen or cut sessions',
      'Check that page_viewed still fires on every template (fewer events shorten sessions)',
      'Check the client id: a new id per page makes every session one event long',
    ],
    resolution:
      'A UX or tracking change: fix the release or the tracking script; dwell-time figures of the day are unreliable',
  },
  page_depth_shift: {
    title: 'Mean page depth moved beyond 2.5 std of its 7-day baseline',
    investigate: [
      'Check page_viewed volume per template',
      'Check single-page-app route changes still send page_viewed',
      'Check for duplicate page_viewed events (double-loaded tag)',
    ],
    resolution: 'Restore one page_viewed per page view; engagement figures of the day are unreliable',
  },
  bot_spike: {
    title: 'Bot traffic above 20% of events, or far above its usual share',
    investigate: [
      'Compare bot events with the day before in the device breakdown',
      'Check the WAF or CDN logs for a crawler or scraper run',
      'Check whether a monitoring or load-testing tool points at the live site',
    ],
    resolution:
      'Block or rate-limit the crawler at the edge; volume checks on this day count its events, funnel rates do not',
  },
  device_mix_shift: {
    title: 'A device class moved more than 15 points from its 7-day share',
    investigate: [
      'Check releases of the mobile or desktop site on that day',
      'Check that the tracking script loads on every device template',
      'Check the user_agent column for empty or truncated values',
    ],
    resolution: 'Tracking lost on one device type, or a UX problem there: fix the template or the release',
  },
  utm_source_skew: {
    title: 'One utm_source holds more than 80% of UTM-tagged landings',
    investigate: [
      'Check campaign links for a source hard-coded by a template',
      'Check redirects that rewrite or drop UTM parameters',
    ],
    resolution: 'Broken UTM tagging: fix the campaign links; attribution for the day is unreliable',
  },
};

export function runbookText(check: string): string {
  const p = PLAYBOOKS[check];
  if (!p) return '';
  return `${p.title}. Investigate: ${p.investigate.map((s, i) => `(${i + 1}) ${s}`).join('; ')}. Resolution: ${p.resolution}.`;
}
