/** What to do when an intraday check fires: the `runbook` annotation its alerts carry. Pure. */
import type { IntradayCheck } from './evaluate.ts';

export const INTRADAY_RUNBOOKS: Readonly<Record<IntradayCheck, string>> = {
  intraday_volume_drop:
    'Check for a site outage or a tracking script that stopped loading for this event type (a deploy, a consent banner, a tag manager change); compare with web server or CDN request counts for the same hours. Once fixed, replay the gap if the source kept it.',
  intraday_silence:
    'No event of this type since the time given: check whether the page or step still fires it (open it with the browser network panel), and the stream health dashboard for where the events stopped (producer, Kafka, the monitor).',
  intraday_null_client_rate:
    'Client ids went empty on more events than the baseline hours allow: check the consent banner and cookie settings, and the tracker version deployed today; the alert names the event types and devices affected.',
};
