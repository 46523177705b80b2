/** Sessions, bots, device mix and UTM sources: the session-integrity seed's checks. */
import { count as n, pct } from '../format.ts';
import { defineCheck, stdDistance, wholePct } from './declaration.ts';

const seconds = (v: number) => `${v.toFixed(1)} s`;

export const TRAFFIC_MIX_CHECKS = [
  defineCheck({
    id: 'session_length_shift',
    severity: 'WARNING',
    kind: 'zscore',
    metric: 'session_length_mean_s',
    threshold: 'sessionLengthStdThreshold',
    minChange: 'sessionShiftMinChange',
    label: (c) => `Mean session length (${seconds(c.metrics.session_length_mean_s ?? 0)})`,
    format: seconds,
    playbook: {
      title: ({ limit, days }) => `Mean session length moved beyond ${limit} std of its ${days}-day baseline`,
      investigate: [
        'Check releases on that day: slower pages or broken navigation lengthen or cut sessions',
        'Check that the page-view event still fires on every template (fewer events shorten sessions)',
        'Check the client id: a new id per page makes every session one event long',
      ],
      resolution:
        'A UX or tracking change: fix the release or the tracking script; dwell-time figures of the day are unreliable',
    },
  }),
  defineCheck({
    id: 'page_depth_shift',
    severity: 'WARNING',
    kind: 'zscore',
    metric: 'page_depth_mean',
    threshold: 'pageDepthStdThreshold',
    minChange: 'sessionShiftMinChange',
    label: (c) => `Mean page depth (${(c.metrics.page_depth_mean ?? 0).toFixed(2)} page views per session)`,
    format: (v) => v.toFixed(2),
    playbook: {
      title: ({ limit, days }) => `Mean page depth moved beyond ${limit} std of its ${days}-day baseline`,
      investigate: [
        'Check page-view volume per template',
        'Check single-page-app route changes still send a page view',
        'Check for duplicate page-view events (double-loaded tag)',
      ],
      resolution: 'Restore one page-view event per page view; engagement figures of the day are unreliable',
    },
  }),
  defineCheck({
    id: 'bot_spike',
    severity: 'WARNING',
    kind: 'logical',
    reads: ['maxBotShare', 'botStdThreshold'],
    evaluate: (c) => {
      const bots = c.metrics.bot_share;
      const t = c.thresholds;
      if (bots === null) return null;
      if (bots > t.maxBotShare) {
        return {
          message: `Bot share (${pct(bots)} of events) above limit (${pct(t.maxBotShare)})`,
          value: bots,
          threshold: t.maxBotShare,
        };
      }
      const found = c.zscore('bot_share');
      if (!found) return null;
      const { z, baseline: base } = found;
      if (z <= t.botStdThreshold) return null;
      return {
        message: `Bot share (${pct(bots)} of events) is ${stdDistance(z)} average (${pct(base.mean)}), z=${z.toFixed(2)}`,
        value: Number(z.toFixed(4)),
        threshold: t.botStdThreshold,
      };
    },
    playbook: {
      title: () => 'Bot traffic above its limit share of events, or far above its usual share',
      investigate: [
        'Compare bot events with the day before in the device breakdown',
        'Check the WAF or CDN logs for a crawler or scraper run',
        'Check whether a monitoring or load-testing tool points at the live site',
      ],
      resolution:
        'Block or rate-limit the crawler at the edge; volume checks on this day count its events, funnel rates do not',
    },
  }),
  defineCheck({
    id: 'device_mix_shift',
    severity: 'WARNING',
    kind: 'share_shift',
    over: 'device_share',
    threshold: 'deviceMixShift',
    message: (f) => {
      const change = f.today - f.mean!;
      return `${f.key} share of events (${pct(f.today)}) moved ${(Math.abs(change) * 100).toFixed(1)} points ${change < 0 ? 'below' : 'above'} its ${f.days}-day average (${pct(f.mean!)})`;
    },
    playbook: {
      title: ({ limit }) =>
        `A device class moved more than ${limit === null ? 'its limit' : `${Number((limit * 100).toFixed(1))} points`} from its usual share`,
      investigate: [
        'Check releases of the mobile or desktop site on that day',
        'Check that the tracking script loads on every device template',
        'Check the user_agent column for empty or truncated values',
      ],
      resolution: 'Tracking lost on one device type, or a UX problem there: fix the template or the release',
    },
  }),
  defineCheck({
    id: 'device_collapse',
    severity: 'WARNING',
    kind: 'share_drop',
    over: 'device_share',
    threshold: 'deviceCollapseShare',
    minShare: 'deviceCollapseMinShare',
    exclude: ['bot'],
    message: (f) =>
      `${f.key} holds ${pct(f.today)} of events, against ${pct(f.mean!)} on its ${f.days}-day average`,
    playbook: {
      title: () => 'A device class collapsed against its usual share of events',
      investigate: [
        'Open the site on that device class (a phone, a tablet) with the browser network panel: does the tracking script load and send?',
        'Check releases of that day for the templates, app version or browser that class uses',
        'Check the user agents of the day for empty or changed values (the class is read from them)',
      ],
      resolution:
        'Tracking lost on one device class: fix the template or the release; the day’s figures miss that class',
    },
  }),
  defineCheck({
    id: 'utm_source_skew',
    severity: 'WARNING',
    kind: 'share_max',
    over: 'utm_source_share',
    threshold: 'maxUtmSourceShare',
    usualBelow: 'utmSkewBaselineShare',
    exclude: ['other'],
    message: (f, c) =>
      `utm_source "${f.key}" holds ${pct(f.today)} of ${n(c.metrics.utm_landings ?? 0)} UTM landings; its ${f.days}-day average is ${pct(f.mean!)}`,
    playbook: {
      title: ({ limit }) => `One utm_source holds more than ${wholePct(limit)} of UTM-tagged landings`,
      investigate: [
        'Check campaign links for a source hard-coded by a template',
        'Check redirects that rewrite or drop UTM parameters',
      ],
      resolution: 'Broken UTM tagging: fix the campaign links; attribution for the day is unreliable',
    },
  }),
] as const;
