/**
 * Every check pinned at and around its threshold: equal is not an alert.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Baseline } from '../../../../src/closeout/baseline.ts';
import { defineCheck, thresholdKeysOf } from '../../../../src/closeout/checks/declaration.ts';
import {
  applySnoozes,
  type BaselineSource,
  type CheckInput,
  evaluateChecks,
} from '../../../../src/closeout/checks/evaluate.ts';
import type { ShareMetric } from '../../../../src/closeout/checks/metric-refs.ts';
import { CHECKS } from '../../../../src/closeout/checks/registry.ts';
import type { DayMetrics } from '../../../../src/closeout/day-metrics.ts';
import {
  DEFAULT_THRESHOLDS,
  loadMonitorConfig,
  parseMonitorConfig,
} from '../../../../src/config/monitor-config.ts';
import { REPO_ROOT } from '../../../../stack/services.ts';
import { healthyMetrics } from '../../../helpers/reports.ts';

/** The seed monitor's shop (the real export's): its absolute bounds and expected channels are configured. */
const config = loadMonitorConfig(join(REPO_ROOT, 'config', 'puffy.yaml'));
const defaults = parseMonitorConfig({});
const FIELDS = 'client_id,event_data,event_name,page_url,referrer,timestamp,user_agent';

const healthy = healthyMetrics;

const b = (mean: number, std = 0.02): Baseline => ({ mean, std, n: 7 });
type Baselines = Record<string, Baseline | null>;

/** The healthy day as its own 7-day baseline. */
function steady(): Baselines {
  return {
    event_count: { mean: 4000, std: 100, n: 7 },
    page_views: { mean: 3800, std: 100, n: 7 },
    session_length_mean_s: { mean: 300, std: 30, n: 7 },
    page_depth_mean: { mean: 2.1, std: 0.2, n: 7 },
    bot_share: { mean: 0.12, std: 0.02, n: 7 },
    'device_share:mobile': b(0.55),
    'device_share:desktop': b(0.3),
    'device_share:tablet': b(0.03),
    'device_share:bot': b(0.12),
    'utm_source_share:google': b(0.4),
  };
}

/** Crafted baselines by metric name, as the close-out would compute them from stored days. */
function crafted(baselines: Baselines): BaselineSource {
  return {
    baseline: (metric) => baselines[metric] ?? null,
    keysOf: (family: ShareMetric) =>
      Object.keys(baselines)
        .filter((k) => k.startsWith(`${family}:`) && baselines[k])
        .map((k) => k.slice(family.length + 1)),
  };
}

/** Every baseline of a share map removed, e.g. no device baseline yet. */
const without = (family: ShareMetric): Baselines =>
  Object.fromEntries(
    Object.keys(steady())
      .filter((k) => k.startsWith(`${family}:`))
      .map((k) => [k, null]),
  );

/** Every input this file judges, for the test that checks read only the thresholds they declare. */
const judgedInputs: CheckInput[] = [];

function input(
  over: Partial<DayMetrics> = {},
  extra: Partial<Omit<CheckInput, 'history'>> & { baselines?: Baselines } = {},
): CheckInput {
  const { baselines, ...rest } = extra;
  const built: CheckInput = {
    day: '2025-03-05',
    gaps: [],
    metrics: { ...healthy(), ...over },
    schema: { field_sets: { [FIELDS]: 4000 }, schema_ids: {} },
    previousSchema: { field_sets: { [FIELDS]: 3900 }, schema_ids: {} },
    thresholds: config.thresholds,
    expectedFields: config.ingest.expectedFields,
    fieldAliases: config.ingest.fieldAliases,
    expectedChannels: config.expectedChannels,
    contract: null,
    history: crafted({ ...steady(), ...baselines }),
    ...rest,
  };
  judgedInputs.push(built);
  return built;
}
const runChecks = (i: CheckInput) => evaluateChecks(i).alerts;
const fired = (i: CheckInput) => runChecks(i).map((a) => a.check);
const fires = (check: string, i: CheckInput) => fired(i).includes(check);

describe('checks at and around their thresholds', () => {
  it('a healthy day passes every check', () => {
    expect(fired(input())).toEqual([]);
  });

  it.each([
    ['low_event_volume', { event_count: 1999 }, { event_count: 2000 }],
    ['high_event_volume', { event_count: 8001 }, { event_count: 8000 }],
    ['high_null_client_rate', { null_client_rate: 0.0501 }, { null_client_rate: 0.05 }],
    ['low_revenue', { revenue: 9999.99 }, { revenue: 10_000 }],
    ['low_conversions', { conversions: 9 }, { conversions: 10 }],
    ['duplicate_transactions', { duplicate_transactions: 1 }, { duplicate_transactions: 0 }],
    ['funnel_inversion', { purchase_rate: 0.031 }, { purchase_rate: 0.03 }],
    [
      'traffic_concentration',
      { channel_share: { Direct: 0.81, 'Paid Search': 0.19 } },
      { channel_share: { Direct: 0.8, 'Paid Search': 0.2 } },
    ],
  ] as [string, Partial<DayMetrics>, Partial<DayMetrics>][])(
    '%s fires beyond, not at, its threshold',
    (check, beyond, at) => {
      expect(fires(check, input(beyond))).toBe(true);
      expect(fires(check, input(at))).toBe(false);
    },
  );

  it('by default, no absolute bound: a shop of 200 events a day and one of 2,000,000 pass them alike', () => {
    const judgedByDefault = (over: Partial<DayMetrics>) =>
      fired(input(over, { thresholds: defaults.thresholds, expectedChannels: defaults.expectedChannels }));
    for (const over of [
      { event_count: 200, revenue: 150, conversions: 1 },
      { event_count: 2_000_000, revenue: 4_000_000, conversions: 20_000 },
    ]) {
      for (const check of ['low_event_volume', 'high_event_volume', 'low_revenue', 'low_conversions'])
        expect(judgedByDefault(over), `${check} ${JSON.stringify(over)}`).not.toContain(check);
    }
    expect(judgedByDefault({ channel_share: { Email: 1 } })).not.toContain('missing_channel');
  });

  it('severities follow the seed', () => {
    const sev = (check: string, over: Partial<DayMetrics>) =>
      runChecks(input(over)).find((a) => a.check === check)?.severity;
    expect(sev('low_event_volume', { event_count: 1 })).toBe('CRITICAL');
    expect(sev('high_event_volume', { event_count: 9000 })).toBe('WARNING');
    expect(sev('high_null_client_rate', { null_client_rate: 0.2 })).toBe('CRITICAL');
    expect(sev('duplicate_transactions', { duplicate_transactions: 2 })).toBe('CRITICAL');
    expect(sev('funnel_inversion', { purchase_rate: 0.5 })).toBe('WARNING');
  });

  it('missing_columns: any expected field absent; an alias counts as present', () => {
    expect(fires('missing_columns', input({ missing_fields: { referrer: 1 } }))).toBe(true);
    expect(fires('missing_columns', input({ missing_fields: {}, field_aliases: { clientId: 4000 } }))).toBe(
      false,
    );
    const alert = runChecks(input({ missing_fields: { referrer: 3538 } })).find(
      (a) => a.check === 'missing_columns',
    );
    expect(alert?.message).toBe('Missing columns: referrer (3,538 events)');
  });

  it('schema_drift: field names or schema ids differ from the previous closed day', () => {
    const renamed = FIELDS.replace('client_id', 'clientId').split(',').sort().join(',');
    const drift = runChecks(input({}, { schema: { field_sets: { [renamed]: 10 }, schema_ids: {} } })).find(
      (a) => a.check === 'schema_drift',
    );
    expect(drift?.message).toContain('client_id → clientId');
    expect(
      fires('schema_drift', input({}, { schema: { field_sets: { [FIELDS]: 1 }, schema_ids: { '7': 1 } } })),
    ).toBe(true);
    expect(
      fires(
        'schema_drift',
        input({}, { previousSchema: null, schema: { field_sets: { a: 1 }, schema_ids: {} } }),
      ),
    ).toBe(false);
    // the same names in another split across field sets is no drift
    expect(
      fires(
        'schema_drift',
        input({}, { schema: { field_sets: { [FIELDS]: 1, 'client_id,timestamp': 1 }, schema_ids: {} } }),
      ),
    ).toBe(false);
  });

  it('invalid_timestamps: any message rejected for its timestamp', () => {
    expect(fires('invalid_timestamps', input({ rejected: { timestamp_invalid: 1 } }))).toBe(true);
    expect(fires('invalid_timestamps', input({ rejected: { timestamp_missing: 1 } }))).toBe(true);
    expect(fires('invalid_timestamps', input({ rejected: { not_json: 5 } }))).toBe(false);
  });

  it('no_purchases and zero_conversions', () => {
    expect(fires('no_purchases', input({ event_types: { page_viewed: 10 } }))).toBe(true);
    expect(fires('no_purchases', input({ event_types: { checkout_completed: 1 } }))).toBe(false);
    expect(fires('zero_conversions', input({ atc_rate: 0.1, purchase_rate: 0 }))).toBe(true);
    expect(fires('zero_conversions', input({ atc_rate: 0, purchase_rate: 0 }))).toBe(false);
    expect(fires('zero_conversions', input({ atc_rate: 0.1, purchase_rate: 0.001 }))).toBe(false);
  });

  it.each([
    ['revenue_anomaly', 'revenue', 2.5],
    ['aov_anomaly', 'aov', 2.0],
    ['conversion_anomaly', 'conversions', 2.5],
    ['traffic_anomaly', 'event_count', 3.0],
  ] as const)('%s: |z| strictly beyond %s, both directions', (check, metric, limit) => {
    // today's value z std from a baseline of mean 100, std 10
    const z = (value: number) =>
      input({ [metric]: 100 + value * 10 }, { baselines: { [metric]: { mean: 100, std: 10, n: 7 } } });
    expect(fires(check, z(limit + 0.01))).toBe(true);
    expect(fires(check, z(-(limit + 0.01)))).toBe(true);
    expect(fires(check, z(limit))).toBe(false);
    expect(fires(check, z(-limit))).toBe(false);
  });

  it('event_volume_shift (±20%) and event_volume_drop (<50%) against the baseline mean', () => {
    const base = { event_count: { mean: 4000, std: 1, n: 7 }, page_views: null };
    const at = (events: number) => fired(input({ event_count: events }, { baselines: base }));
    expect(at(4801)).toContain('event_volume_shift');
    expect(at(4800)).not.toContain('event_volume_shift');
    expect(at(3199)).toContain('event_volume_shift');
    expect(at(3200)).not.toContain('event_volume_shift');
    expect(at(1999)).toContain('event_volume_drop');
    expect(at(2000)).not.toContain('event_volume_drop');
    expect(
      fired(input({ event_count: 100 }, { baselines: { event_count: null, page_views: null } })),
    ).not.toContain('event_volume_drop');
  });

  it('page_view_drop: page views below 75% of their baseline mean', () => {
    const base = { event_count: null, page_views: { mean: 4000, std: 1, n: 7 } };
    expect(
      fires(
        'page_view_drop',
        input({ event_types: { page_viewed: 2999, checkout_completed: 1 } }, { baselines: base }),
      ),
    ).toBe(true);
    expect(
      fires(
        'page_view_drop',
        input({ event_types: { page_viewed: 3000, checkout_completed: 1 } }, { baselines: base }),
      ),
    ).toBe(false);
  });

  it('missing_channel: an expected channel without clients', () => {
    expect(fires('missing_channel', input({ channel_share: { Direct: 0.5, 'Organic Search': 0.5 } }))).toBe(
      true,
    );
    expect(fires('missing_channel', input({ channel_share: { Direct: 0.5, 'Paid Search': 0.5 } }))).toBe(
      false,
    );
  });
});

describe('traffic mix checks', () => {
  const traffic = (over: Baselines) => ({ baselines: over });

  it('session_length_shift and page_depth_shift: strictly beyond 2.5 std, either way', () => {
    const base = { mean: 300, std: 30, n: 7 }; // 2.5 std = 25% of the mean
    for (const check of ['session_length_shift', 'page_depth_shift'] as const) {
      const key = check === 'session_length_shift' ? 'session_length_mean_s' : 'page_depth_mean';
      const z = (v: number) => input({ [key]: 300 + v * 30 }, traffic({ [key]: base }));
      expect(fires(check, z(2.51))).toBe(true);
      expect(fires(check, z(-2.51))).toBe(true);
      expect(fires(check, z(2.5))).toBe(false);
      expect(fires(check, input({ [key]: 375.3 }, traffic({ [key]: null })))).toBe(false);
    }
  });

  it('session shifts also need a 10% move from the mean: a steady metric has a tiny std', () => {
    const depth = (z: number) =>
      input(
        { page_depth_mean: 1.14 + z * 0.015 },
        traffic({ page_depth_mean: { mean: 1.14, std: 0.015, n: 7 } }),
      );
    expect(fires('page_depth_shift', depth(-4))).toBe(false); // -5%
    expect(fires('page_depth_shift', depth(-7.7))).toBe(true); // -10.1%
  });

  it('bot_spike: bot share strictly above 20%', () => {
    expect(fires('bot_spike', input({ bot_share: 0.2001 }, traffic({ bot_share: null })))).toBe(true);
    expect(fires('bot_spike', input({ bot_share: 0.2 }, traffic({ bot_share: null })))).toBe(false);
  });

  it('bot_spike: or strictly above 3 std of its baseline', () => {
    // binary-exact figures, so that "at 3 std" is exactly 3
    const base = traffic({ bot_share: { mean: 0.0625, std: 0.015625, n: 7 } });
    expect(fires('bot_spike', input({ bot_share: 0.111 }, base))).toBe(true); // z = 3.1
    expect(fires('bot_spike', input({ bot_share: 0.109375 }, base))).toBe(false); // z = 3
  });

  it('device_mix_shift: a device share moves more than 15 points from its baseline mean', () => {
    const shifted = { mobile: 0.3, desktop: 0.55, tablet: 0.03, bot: 0.12 };
    const alert = runChecks(input({ device_share: shifted })).find((a) => a.check === 'device_mix_shift');
    expect(alert?.message).toMatch(/moved 25\.0 points/);
    const justUnder = { mobile: 0.4001, desktop: 0.4499, tablet: 0.03, bot: 0.12 };
    expect(fires('device_mix_shift', input({ device_share: justUnder }))).toBe(false);
    // a class absent today counts as 0% against its baseline
    expect(fires('device_mix_shift', input({ device_share: { desktop: 0.88, bot: 0.12 } }))).toBe(true);
    // no baseline yet: no alert
    expect(
      fires('device_mix_shift', input({ device_share: shifted }, traffic(without('device_share')))),
    ).toBe(false);
  });

  it('utm_source_skew: one source above 80% of UTM landings while its baseline share is under 50%', () => {
    const skewed = { utm_source_share: { google: 0.81, facebook: 0.19 } };
    const top = (mean: number) => traffic({ 'utm_source_share:google': b(mean) });
    expect(fires('utm_source_skew', input(skewed, top(0.4)))).toBe(true);
    expect(fires('utm_source_skew', input({ utm_source_share: { google: 0.8, x: 0.2 } }, top(0.4)))).toBe(
      false,
    );
    expect(fires('utm_source_skew', input(skewed, top(0.5)))).toBe(false); // it always led
    expect(fires('utm_source_skew', input(skewed, traffic(without('utm_source_share'))))).toBe(false);
  });

  it('the leading utm_source is never "other"', () => {
    const mostlyOther = { utm_source_share: { other: 0.9, google: 0.1 } };
    const google = traffic({ 'utm_source_share:google': b(0.1), 'utm_source_share:other': b(0.1) });
    expect(fires('utm_source_skew', input(mostlyOther, google))).toBe(false);
    expect(fires('utm_source_skew', input({ utm_source_share: { other: 0.05, google: 0.95 } }, google))).toBe(
      true,
    );
  });
});

describe('threshold overrides and snoozes', () => {
  it('a snoozed alert stays in the report, marked, until its date', () => {
    const alerts = runChecks(input({ duplicate_transactions: 1 }));
    const snoozes = [
      { check: 'duplicate_transactions', until: '2025-03-05', reason: 'known double submit, fix shipping' },
    ];
    expect(applySnoozes(alerts, '2025-03-05', snoozes)[0]?.snoozed).toBe(true);
    expect(applySnoozes(alerts, '2025-03-06', snoozes)[0]?.snoozed).toBe(false);
  });

  it('rejects a bad configuration with one line per problem', () => {
    expect(() =>
      parseMonitorConfig({ thresholds: { maxNullClientRate: 2 }, overrides: [{ thresholds: {} }] }),
    ).toThrowError(/thresholds\.maxNullClientRate[\s\S]*overrides\.0/);
  });
});

describe('channel_collapse', () => {
  const usual = {
    'channel_share:Direct': b(0.4),
    'channel_share:Paid Search': b(0.3),
    'channel_share:Organic Search': b(0.147),
  };
  const day = (shares: Record<string, number>, baselines: Baselines = usual) =>
    input({ channel_share: shares }, { baselines });

  it('fires when a channel falls below a quarter of its baseline share (Organic Search on 2025-03-04)', () => {
    const alert = runChecks(day({ Direct: 0.6, 'Paid Search': 0.4 })).find(
      (a) => a.check === 'channel_collapse',
    );
    expect(alert?.message).toBe(
      'Channel Organic Search holds 0.0% of clients, against 14.7% on its 7-day average',
    );
    expect(alert?.severity).toBe('WARNING');
    expect(alert?.threshold).toBeCloseTo(0.03675, 6);
  });

  it('stays quiet at a quarter of the baseline, for small channels, and without a baseline', () => {
    // 0.03675 is exactly a quarter of 14.7%
    expect(
      fires('channel_collapse', day({ Direct: 0.5, 'Paid Search': 0.46325, 'Organic Search': 0.03675 })),
    ).toBe(false);
    expect(
      fires('channel_collapse', day({ Direct: 0.5, 'Paid Search': 0.46, 'Organic Search': 0.036 })),
    ).toBe(true);
    const small = { ...usual, 'channel_share:Email': b(0.049) };
    expect(
      fires('channel_collapse', day({ Direct: 0.4, 'Paid Search': 0.3, 'Organic Search': 0.3 }, small)),
    ).toBe(false);
    expect(fires('channel_collapse', day({ Direct: 0.6, 'Paid Search': 0.4 }, {}))).toBe(false);
  });
});

describe('data_gap', () => {
  const gap = (p: number, event_name: string | null = null) => ({
    event_name,
    start: '2025-03-05T10:48:09.000Z',
    end: '2025-03-05T13:42:38.000Z',
    local_start: '10:48:09',
    local_end: '13:42:38',
    minutes: 174,
    expected: 331.7,
    p,
  });

  it('fires on a gap of all events the baseline calls impossible, naming its span', () => {
    const alerts = runChecks(input({}, { gaps: [gap(1e-9)] }));
    const a = alerts.find((x) => x.check === 'data_gap');
    expect(a).toMatchObject({ severity: 'CRITICAL', value: 174, threshold: 1e-6 });
    expect(a!.message).toBe(
      'No event at all 10:48:09–13:42:38 (174 min), where the baseline days had 332 events (chance 1.0e-9)',
    );
  });

  it('stays quiet on a gap that is merely unusual, and on a gap of one type (the volume checks judge types)', () => {
    expect(fired(input({}, { gaps: [gap(1e-5)] }))).not.toContain('data_gap');
    expect(fired(input({}, { gaps: [gap(1e-12, 'page_viewed')] }))).not.toContain('data_gap');
  });
});

describe('device_collapse', () => {
  // the steady baseline: mobile 55%, desktop 30%, tablet 3%, bot 12%
  const shares = (over: Record<string, number>) => ({
    mobile: 0.55,
    desktop: 0.3,
    tablet: 0.03,
    bot: 0.12,
    ...over,
  });

  it('fires when a device class falls below a quarter of its baseline share', () => {
    const alert = runChecks(input({ device_share: shares({ desktop: 0.07, mobile: 0.78 }) })).find(
      (a) => a.check === 'device_collapse',
    );
    expect(alert?.message).toBe('desktop holds 7.0% of events, against 30.0% on its 7-day average');
    expect(alert?.threshold).toBeCloseTo(0.075, 6);
  });

  it('stays quiet at a quarter, for small classes, for bots leaving, and without a baseline', () => {
    expect(fires('device_collapse', input({ device_share: shares({ desktop: 0.075, mobile: 0.775 }) }))).toBe(
      false,
    );
    // tablets are under 5%: they swing on their own
    expect(fires('device_collapse', input({ device_share: shares({ tablet: 0, mobile: 0.58 }) }))).toBe(
      false,
    );
    // bots going away is no tracking failure
    expect(fires('device_collapse', input({ device_share: shares({ bot: 0, mobile: 0.67 }) }))).toBe(false);
    expect(
      fires(
        'device_collapse',
        input(
          { device_share: shares({ desktop: 0.07, mobile: 0.78 }) },
          { baselines: without('device_share') },
        ),
      ),
    ).toBe(false);
  });
});

describe('what drove a volume alert', () => {
  it('names the event type and the device class that moved most, with their share of the change', () => {
    const alerts = runChecks(
      input(
        {
          event_count: 3200,
          event_types: { page_viewed: 2900, product_added_to_cart: 300 },
          device_share: { mobile: 0.5, desktop: 0.4, tablet: 0.03, bot: 0.07 },
        },
        {
          baselines: {
            'event_types:page_viewed': { mean: 3700, std: 100, n: 7 },
            'event_types:product_added_to_cart': { mean: 300, std: 20, n: 7 },
            'device_events:mobile': { mean: 2200, std: 80, n: 7 },
            'device_events:desktop': { mean: 1200, std: 60, n: 7 },
          },
        },
      ),
    );
    const volume = alerts.find((a) => a.check === 'traffic_anomaly');
    expect(volume?.message).toMatch(
      /; events −20%: page_viewed −22% \(100% of it\), mobile −27% \(75% of it\)$/,
    );
    // other alerts say nothing of drivers
    for (const a of alerts.filter(
      (x) => x.check !== 'traffic_anomaly' && !x.check.startsWith('event_volume'),
    ))
      expect(a.message).not.toContain('of it)');
  });
});

describe('what drove a rate alert', () => {
  it('names the event type and device class that lost their client ids, by share of the rise', () => {
    const alert = runChecks(
      input(
        {
          null_client_rate: 0.3,
          null_client_types: { page_viewed: 200, checkout_started: 1000 },
          null_client_devices: { desktop: 150, mobile: 1050 },
        },
        {
          baselines: {
            'null_client_types:page_viewed': { mean: 180, std: 20, n: 7 },
            'null_client_types:checkout_started': { mean: 20, std: 5, n: 7 },
            'null_client_devices:desktop': { mean: 100, std: 10, n: 7 },
            'null_client_devices:mobile': { mean: 100, std: 10, n: 7 },
          },
        },
      ),
    ).find((a) => a.check === 'high_null_client_rate');
    // 1,200 against 200 expected: checkout_started +980 is 98% of the +1,000, mobile +950 is 95%
    expect(alert?.message).toMatch(
      /; null client ids \+1,000 against the baseline: checkout_started \+980 \(98% of it\), mobile \+950 \(95% of it\)$/,
    );
  });

  it("without such baselines (days closed before they were kept), names the day's largest share", () => {
    const alert = runChecks(
      input({
        null_client_rate: 0.3,
        null_client_types: { page_viewed: 300, checkout_started: 900 },
        null_client_devices: { desktop: 1200 },
      }),
    ).find((a) => a.check === 'high_null_client_rate');
    expect(alert?.message).toMatch(/; null client ids mostly on checkout_started 75\.0%, desktop 100\.0%$/);
  });

  it('names the event types that lack a missing field', () => {
    const alert = runChecks(
      input({
        missing_fields: { client_id: 400 },
        missing_field_types: {
          client_id: {
            checkout_completed: 300,
            page_viewed: 60,
            product_added_to_cart: 30,
            checkout_started: 10,
          },
        },
      }),
    ).find((a) => a.check === 'missing_columns');
    expect(alert?.message).toBe(
      'Missing columns: client_id (400 events); missing client_id on checkout_completed 75.0%, page_viewed 15.0%, product_added_to_cart 7.5% and 1 more',
    );
  });
});

describe('a threshold is defined once and read by the checks that declare it', () => {
  it('every check reads only the thresholds its declaration names, on every day this file judges', () => {
    expect(judgedInputs.length).toBeGreaterThan(50);
    const undeclared = new Map<string, Set<string>>();
    for (const check of CHECKS) {
      const declared = new Set<string>(thresholdKeysOf(check));
      for (const i of judgedInputs) {
        const thresholds = new Proxy(i.thresholds, {
          get(target, key, receiver) {
            if (typeof key === 'string' && !declared.has(key))
              undeclared.set(check.id, (undeclared.get(check.id) ?? new Set()).add(key));
            return Reflect.get(target, key, receiver);
          },
        });
        evaluateChecks({ ...i, thresholds }, [check]);
      }
    }
    expect(Object.fromEntries([...undeclared].map(([id, keys]) => [id, [...keys]]))).toEqual({});
  });

  it('every threshold of the config is read by at least one check', () => {
    const read = new Set(CHECKS.flatMap((c) => thresholdKeysOf(c)));
    expect(
      Object.keys(DEFAULT_THRESHOLDS).filter((k) => !read.has(k as keyof typeof DEFAULT_THRESHOLDS)),
    ).toEqual([]);
  });
});

describe('a check is its declaration', () => {
  // not in the registry: declared here over existing thresholds, it runs on the engine as the registry's checks do
  const utmCollapse = defineCheck({
    id: 'utm_source_collapse',
    severity: 'WARNING',
    kind: 'share_drop',
    over: 'utm_source_share',
    threshold: 'channelCollapseShare',
    minShare: 'channelCollapseMinShare',
    message: (f) => `utm_source ${f.key} holds ${(f.today * 100).toFixed(1)}% of UTM landings`,
    playbook: { title: () => 'A utm_source collapsed', investigate: ['Look'], resolution: 'Fix it' },
  });

  it('a declaration given to the engine raises its alert, with its threshold and message', () => {
    // google's baseline share is 40%; a quarter of it is 10%
    const collapsed = input({ utm_source_share: { google: 0.05, facebook: 0.55, newsletter: 0.4 } });
    expect(evaluateChecks(collapsed, [utmCollapse]).alerts).toEqual([
      expect.objectContaining({
        check: 'utm_source_collapse',
        severity: 'WARNING',
        message: 'utm_source google holds 5.0% of UTM landings',
        threshold: expect.closeTo(0.1, 6),
      }),
    ]);
    expect(evaluateChecks(input(), [utmCollapse]).alerts).toEqual([]);
  });
});
