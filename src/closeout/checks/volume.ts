/** Event volume: fixed limits, the z-score, and moves against the baseline mean. */
import { count as n, pct } from '../format.ts';
import { defineCheck, wholePct } from './declaration.ts';
import { volumeDrivers } from './drivers.ts';

export const VOLUME_CHECKS = [
  defineCheck({
    id: 'no_events',
    severity: 'CRITICAL',
    kind: 'logical',
    metric: 'event_count',
    evaluate: ({ metrics: m }) =>
      m.event_count === 0 ? { message: 'No event at all on the day', value: 0, threshold: 0 } : null,
    playbook: {
      title: () => 'No event at all',
      investigate: [
        'Check that the producer still writes to the topic the monitor reads (KAFKA_TOPIC), and that the monitor consumes (stream health dashboard)',
        'Check for a site outage or a tracking script that failed to load for everyone',
      ],
      resolution:
        'Restore the tracking or the pipeline stage that stopped; replay the day if the source kept it',
    },
  }),
  defineCheck({
    id: 'data_gap',
    severity: 'CRITICAL',
    kind: 'logical',
    metric: 'event_count',
    reads: ['maxGapChance'],
    evaluate: ({ gaps, thresholds }) => {
      const hit = gaps.filter((g) => g.event_name === null && g.p < thresholds.maxGapChance);
      if (!hit.length) return null;
      const worst = hit.reduce((a, b) => (b.p < a.p ? b : a));
      const spans = hit.map((g) => `${g.local_start}–${g.local_end} (${g.minutes} min)`).join(', ');
      return {
        message: `No event at all ${spans}, where the baseline days had ${n(Math.round(worst.expected))} events (chance ${worst.p.toExponential(1)})`,
        value: hit.reduce((a, g) => a + g.minutes, 0),
        threshold: thresholds.maxGapChance,
      };
    },
    playbook: {
      title: () =>
        'The day has a span without any event that the baseline days call impossible: data is missing',
      investigate: [
        "Read the span in the report's gaps: did the site go dark (server, CDN logs), or did tracking or the pipeline stop (the stream health dashboard for those hours)?",
        'Check the intraday alerts of those hours, and the producer and consumer logs',
      ],
      resolution:
        'Replay the span if the source kept it; otherwise every figure of the day is short by it, say so where the day is reported',
    },
  }),
  defineCheck({
    id: 'low_event_volume',
    severity: 'CRITICAL',
    kind: 'minimum',
    metric: 'event_count',
    explain: volumeDrivers,
    threshold: 'minDailyEvents',
    message: (v, limit) => `Daily event count (${n(v)}) below minimum (${n(limit)})`,
    playbook: {
      title: () => 'Daily event volume below minimum',
      investigate: [
        'Check for a site outage or a tracking script that failed to load',
        'Compare with the web server or CDN request counts for the day',
        'Look at the stream health dashboard for the hour the rate dropped',
      ],
      resolution:
        'Restore the tracking script or pipeline stage that stopped sending; replay the gap if the source kept it',
    },
  }),
  defineCheck({
    id: 'high_event_volume',
    severity: 'WARNING',
    kind: 'maximum',
    metric: 'event_count',
    explain: volumeDrivers,
    threshold: 'maxDailyEvents',
    message: (v, limit) => `Daily event count (${n(v)}) above maximum (${n(limit)})`,
    playbook: {
      title: () => 'Daily event volume above maximum',
      investigate: [
        'Check for bot traffic (user agents, single clients with many events)',
        'Check for duplicate sends from the tracker',
      ],
      resolution:
        'Filter bots or fix the double send; raise the threshold if the growth is real (promotion, season)',
    },
  }),
  defineCheck({
    id: 'traffic_anomaly',
    severity: 'WARNING',
    kind: 'zscore',
    metric: 'event_count',
    explain: volumeDrivers,
    threshold: 'trafficStdThreshold',
    label: (c) => `Event count (${n(c.metrics.event_count)})`,
    format: n,
    playbook: {
      title: ({ limit, days }) => `Event volume more than ${limit} std from its ${days}-day baseline`,
      investigate: ['Check campaigns and bot traffic', 'Check for tracking outages in part of the day'],
      resolution: 'Confirm the cause; raise or lower the thresholds for known campaigns with an override',
    },
  }),
  defineCheck({
    id: 'event_volume_shift',
    severity: 'WARNING',
    kind: 'shift',
    metric: 'event_count',
    explain: volumeDrivers,
    threshold: 'eventVolumeShift',
    message: ({ value, change, mean, days }) =>
      `Event count (${n(value)}) is ${pct(Math.abs(change))} ${change < 0 ? 'below' : 'above'} its ${days}-day average (${n(mean)})`,
    playbook: {
      title: ({ limit, days }) =>
        `Event volume differs from its ${days}-day average by more than ${wholePct(limit)}`,
      investigate: ['Check the hourly event rate on the stream health dashboard', 'Check campaigns and bots'],
      resolution: 'Confirm whether the change is real; fix tracking if part of the site stopped sending',
    },
  }),
  defineCheck({
    id: 'event_volume_drop',
    severity: 'CRITICAL',
    kind: 'drop',
    metric: 'event_count',
    explain: volumeDrivers,
    threshold: 'eventVolumeDrop',
    message: ({ value, share, mean, days }) =>
      `Event count (${n(value)}) below ${pct(share)} of its ${days}-day average (${n(mean)})`,
    playbook: {
      title: ({ limit, days }) => `Event volume below ${wholePct(limit)} of its ${days}-day average`,
      investigate: [
        'Check for a site outage or a tracking script that failed to load',
        'Check the hour the rate dropped',
      ],
      resolution: 'Restore tracking; replay the gap if the source kept it',
    },
  }),
  defineCheck({
    id: 'page_view_drop',
    severity: 'WARNING',
    kind: 'drop',
    metric: 'page_views',
    threshold: 'pageViewDrop',
    message: ({ value, share, mean, days }) =>
      `Page views (${n(value)}) below ${pct(share)} of their ${days}-day average (${n(mean)})`,
    playbook: {
      title: ({ limit, days }) => `Page views below ${wholePct(limit)} of their ${days}-day average`,
      investigate: ['Check the page-view event on the main templates', 'Check for a tracking script change'],
      resolution: 'Restore the page view event',
    },
  }),
] as const;
