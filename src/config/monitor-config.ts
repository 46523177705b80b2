/**
 * What the monitor checks and how: ingest rules, channel rules, thresholds,
 * baseline, overrides and snoozes. Defaults are the seed monitor's; a YAML or
 * JSON file (MONITOR_CONFIG_FILE) overrides any part of it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CalendarDateSchema } from '../calendar/calendar-date.ts';
import { ConfigError, formatIssues } from './env.ts';
import {
  EVENT_FORMAT_NAMES,
  EVENT_FORMATS,
  EVENT_ROLES,
  type EventFormatName,
  type EventMapping,
  FIELD_ROLES,
  PURCHASE_FIELDS,
} from './formats/index.ts';
import { SpecialDaysSchema } from './special-days.ts';
import { didYouMean } from './suggest.ts';

const isoDate = CalendarDateSchema;
/** The monitor creates topics that carry 16 MiB; a larger limit could never be met. */
export const MAX_MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;
const share = z.number().min(0).max(1);
/** An intraday check's trailing window, in minutes. */
const trailingWindow = (minutes: number) =>
  z.number().int().min(10).max(1440).default(minutes).describe('The trailing window judged');

/**
 * The ISO 4217 codes the runtime knows (about 160): the only currencies the monitor counts,
 * in config and in events, since they become counter names and a metric label.
 */
export const CURRENCY_CODES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** A JSON Pointer (RFC 6901) into an event: "/context/page/url". */
const POINTER = /^(\/([^~]|~[01])*)+$/;
const Pointer = z
  .string()
  .regex(
    POINTER,
    'not a JSON Pointer: "/" then keys separated by "/" (~0 for ~, ~1 for /), e.g. /context/page/url',
  );
/** One pointer or several (the first present wins); null: the role is not read. */
const Pointers = z
  .union([Pointer, z.array(Pointer).min(1)])
  .transform((p) => (typeof p === 'string' ? [p] : p))
  .nullable()
  .optional();
/** A bare top-level name ("client_id") or a JSON Pointer ("/context/page/url"). */
const FieldName = z.string().min(1);

const shapeOf = <K extends string, S extends z.ZodType>(keys: readonly K[], schema: S) =>
  Object.fromEntries(keys.map((k) => [k, schema])) as Record<K, S>;

/** Overrides of the format's mapping: only what differs (see config/formats/). */
const MappingSchema = z.strictObject({
  fields: z
    .strictObject(shapeOf(FIELD_ROLES, Pointers))
    .prefault({})
    .describe(
      "Where each role of an event sits, as JSON Pointers (several: the first present wins; null: not read). Default: the format's (see config/formats)",
    ),
  events: z
    .strictObject(shapeOf(EVENT_ROLES, z.array(z.string().min(1)).optional()))
    .prefault({})
    .describe("The event names of each funnel role. Default: the format's"),
  purchase: z
    .strictObject(shapeOf(PURCHASE_FIELDS, Pointers))
    .prefault({})
    .describe("Where a purchase's order id, revenue and currency sit. Default: the format's"),
});

const SourceSchema = z.strictObject({
  format: z
    .enum(EVENT_FORMAT_NAMES as [EventFormatName, ...EventFormatName[]])
    .default('flat')
    .describe(
      "The shape events arrive in: flat (an export's columns), segment (also RudderStack), shopify-web-pixels, snowplow.",
    ),
  mapping: MappingSchema.prefault({}),
  currency: z
    .string()
    .refine((c) => CURRENCY_CODES.has(c), 'not an ISO 4217 code such as USD or EUR')
    .optional()
    .describe('ISO 4217 code of purchases that carry none.'),
  eventIdWindowHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 35)
    .default(48)
    .describe(
      "Where the format has an event id: an event delivered again with the same id (a producer's retry) within this many hours of its day is counted once. 0: no deduplication by event id.",
    ),
});

const IngestSchema = z.strictObject({
  knownEventNames: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Default: the format's event names."),
  expectedFields: z.array(FieldName).min(1).optional().describe("Default: the format's fields."),
  fieldAliases: z
    .record(z.string().min(1), z.string().min(1))
    .optional()
    .describe("alias → canonical top-level field. Default: the format's (flat: `clientId` for `client_id`)."),
  maxMessageBytes: z
    .number()
    .int()
    .min(1024)
    .max(MAX_MESSAGE_BYTES_LIMIT)
    .default(1024 * 1024)
    .describe('A message larger than this is dead-lettered as too_large before it is decoded'),
  maxFutureSkewSeconds: z
    .number()
    .int()
    .min(0)
    .default(900)
    .describe('An event dated further in the future than this is rejected (timestamp_out_of_range)'),
  maxPastDays: z
    .number()
    .int()
    .min(1)
    .max(36_500)
    .default(3650)
    .describe(
      "Events older than this are rejected (`timestamp_out_of_range`): a day long past is out of every report's reach. Replaying an old export needs a larger value.",
    ),
  maxShapes: z
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(10_000)
    .describe(
      'Field sets and schema ids a namespace remembers (for drift) at most; more are counted as untracked.',
    ),
  stateTtlDays: z
    .number()
    .int()
    .min(2)
    .default(35)
    .describe("How long a day's state stays in Redis after its last write: the baselines' reach"),
  duplicateLookbackDays: z
    .number()
    .int()
    .min(0)
    .max(30)
    .default(0)
    .describe(
      '0: a transaction id is a duplicate only within its day. N: also against the N previous days (not Redis Cluster safe).',
    ),
  rejectGuard: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('false: never hold; every rejected message is dead-lettered'),
      windowMessages: z.number().int().min(10).default(2000).describe('The recent messages the guard judges'),
      setupShare: share
        .default(0.5)
        .describe("unknown_schema, bad_framing, decode_error: the monitor's setup, not one sender"),
      setupMinMessages: z
        .number()
        .int()
        .min(1)
        .default(20)
        .describe('The setup rule judges only windows of at least this many messages'),
      anyShare: share.default(0.98).describe('any one reason'),
      anyMinMessages: z
        .number()
        .int()
        .min(1)
        .default(500)
        .describe('The any-reason rule judges only windows of at least this many messages'),
    })
    .prefault({})
    .describe('Hold batches instead of dead-lettering the stream when most recent messages are rejected.'),
});

const ChannelRulesSchema = z.strictObject({
  shopDomain: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The shop's domain: a referrer on it is the shop's own page, not a referral. Absent: a referrer on the landing page's own host (or a subdomain of it, or it of the referrer's) is.",
    ),
  clickIds: z
    .array(
      z.strictObject({
        param: z.string().min(1).describe('The URL parameter (gclid)'),
        channel: z.string().min(1).describe('The channel a landing carrying it belongs to'),
      }),
    )
    .default([
      { param: 'gclid', channel: 'Paid Search' },
      { param: 'fbclid', channel: 'Paid Social' },
    ])
    .describe('A landing URL parameter that names its channel, first match wins (before UTM and referrer)'),
  utm: z
    .strictObject({
      paidMediums: z
        .array(z.string())
        .default(['cpc', 'ppc', 'paid'])
        .describe('utm_medium values of paid search'),
      paidChannel: z.string().default('Paid Search').describe('The channel of a paid utm_medium'),
      emailSources: z.array(z.string()).default(['email', 'klaviyo']).describe('utm_source values of email'),
      emailMediums: z.array(z.string()).default(['email']).describe('utm_medium values of email'),
      emailChannel: z.string().default('Email').describe('The channel of an email source or medium'),
      affiliateMediums: z
        .array(z.string())
        .default(['affiliate'])
        .describe('utm_medium values of affiliates'),
      affiliateChannel: z.string().default('Affiliate').describe('The channel of an affiliate medium'),
      otherChannel: z.string().default('Other').describe('The channel of any other UTM-tagged landing'),
    })
    .prefault({}),
  referrers: z
    .array(
      z.strictObject({
        contains: z.array(z.string().min(1)).min(1).describe('Parts of a referrer host'),
        channel: z.string().min(1).describe('The channel a referrer containing one of them belongs to'),
      }),
    )
    .default([
      { contains: ['google', 'bing'], channel: 'Organic Search' },
      { contains: ['facebook', 'instagram'], channel: 'Organic Social' },
      { contains: ['source-'], channel: 'Affiliate' },
    ])
    .describe('A referrer host containing one of these strings, first match wins (after click ids and UTM)'),
  referralChannel: z
    .string()
    .default('Referral')
    .describe("The channel of any other referrer that is not the shop's own"),
  directChannel: z
    .string()
    .default('Direct')
    .describe('The channel of a landing without referrer, click id or UTM'),
});

/** A threshold: its schema, its default, and what it means (the configuration reference is generated from these). */
const param = <S extends z.ZodType>(schema: S, value: z.output<S>, description: string) => ({
  schema: schema.describe(description),
  default: value,
});
const count = z.number().int().min(0);
const std = z.number().positive();

/**
 * Every threshold of the close-out checks, each defined here once; the checks
 * name the keys they read (closeout/checks), and the docs list both.
 * Defaults are the seed monitor's, but for the absolute bounds, which are
 * each shop's own: null judges nothing (see config/puffy.yaml for a shop's).
 */
const THRESHOLD_PARAMETERS = {
  minDailyEvents: param(count.nullable(), null, 'Fewest events in a day. null: no floor'),
  maxDailyEvents: param(count.nullable(), null, 'Most events in a day. null: no ceiling'),
  maxNullClientRate: param(
    share,
    0.05,
    'Most share of events without a client id, for the day and for the intraday hour',
  ),
  minDailyRevenue: param(
    z.number().min(0).nullable(),
    null,
    "Least revenue in a day (in the day's main currency). null: no floor",
  ),
  minDailyConversions: param(count.nullable(), null, 'Fewest purchases in a day. null: no floor'),
  maxDuplicateTransactions: param(count, 0, 'Most transaction ids counted twice in a day'),
  maxGapChance: param(
    z.number().positive().max(0.5),
    1e-6,
    'A span of the day without any event fires the completeness check when the baseline days make it this unlikely',
  ),
  maxDuplicateEventShare: param(
    share,
    0.001,
    'Most events delivered again with an already counted event id, as a share of the day',
  ),
  purchaseStopMinExpected: param(
    z.number().min(0),
    7,
    'A run of days without a purchase is named once the baseline expected at least this many in it (without a baseline: always)',
  ),
  revenueStdThreshold: param(std, 2.5, 'Revenue this many standard deviations from its baseline'),
  aovStdThreshold: param(std, 2.0, 'Average order value this many standard deviations from its baseline'),
  conversionStdThreshold: param(std, 2.5, 'Purchases this many standard deviations from their baseline'),
  trafficStdThreshold: param(std, 3.0, 'Events this many standard deviations from their baseline'),
  eventVolumeShift: param(share, 0.2, 'Events moved more than this share from their baseline mean'),
  eventVolumeDrop: param(share, 0.5, 'Events below this share of their baseline mean'),
  pageViewDrop: param(share, 0.75, 'Page views below this share of their baseline mean'),
  maxChannelShare: param(share, 0.8, 'Most share of clients one channel may hold'),
  sessionLengthStdThreshold: param(
    std,
    2.5,
    'Mean session length this many standard deviations from its baseline',
  ),
  pageDepthStdThreshold: param(std, 2.5, 'Mean page depth this many standard deviations from its baseline'),
  sessionShiftMinChange: param(
    share,
    0.1,
    'Session shifts also need this relative move from the mean: a very steady metric has a tiny std',
  ),
  maxBotShare: param(share, 0.2, 'Most bot events, as a share of the day'),
  botStdThreshold: param(std, 3.0, 'The bot share this many standard deviations above its baseline'),
  deviceMixShift: param(
    share,
    0.15,
    "A device class's share of events moved more than this many points from its baseline",
  ),
  deviceCollapseShare: param(
    share,
    0.25,
    'A device class whose share of events fell below this fraction of its baseline share collapsed…',
  ),
  deviceCollapseMinShare: param(
    share,
    0.05,
    '…for device classes whose baseline share is at least this (small classes swing on their own)',
  ),
  maxUtmSourceShare: param(share, 0.8, 'Most share of UTM landings one utm_source may hold…'),
  utmSkewBaselineShare: param(share, 0.5, '…unless its baseline share was already at least this'),
  channelCollapseShare: param(
    share,
    0.25,
    'A channel whose share of clients fell below this fraction of its baseline share collapsed…',
  ),
  channelCollapseMinShare: param(
    share,
    0.05,
    '…for channels whose baseline share is at least this (small channels swing on their own)',
  ),
  contractRequiredShare: param(
    share,
    0.05,
    'A required property missing, or an unplanned event, on more than this share of its event type',
  ),
  maxBatchesWithoutReplica: param(
    count,
    0,
    'Batches a day may have written with fewer Redis replicas than REDIS_MIN_REPLICAS (a node lost)',
  ),
};
type ThresholdKeys = keyof typeof THRESHOLD_PARAMETERS;
const mapParameters = <V>(f: (p: (typeof THRESHOLD_PARAMETERS)[ThresholdKeys]) => V) =>
  Object.fromEntries(Object.entries(THRESHOLD_PARAMETERS).map(([k, p]) => [k, f(p)])) as Record<
    ThresholdKeys,
    V
  >;

const ThresholdValues = z.strictObject(
  mapParameters((p) => p.schema) as { [K in ThresholdKeys]: (typeof THRESHOLD_PARAMETERS)[K]['schema'] },
);

/** The thresholds every day gets unless an override says otherwise. */
export const DEFAULT_THRESHOLDS = mapParameters((p) => p.default) as z.infer<typeof ThresholdValues>;

/** What each threshold means, for the generated configuration reference. */
export const THRESHOLD_DOCS: Readonly<Record<ThresholdKeys, string>> = mapParameters(
  (p) => p.schema.description ?? '',
);

// Overrides name only what they change, so the partial schema has no defaults.
const ThresholdOverrides = ThresholdValues.partial();
export const ThresholdsSchema = ThresholdOverrides.transform((t) => ({ ...DEFAULT_THRESHOLDS, ...t })).refine(
  (t) => t.minDailyEvents === null || t.maxDailyEvents === null || t.minDailyEvents <= t.maxDailyEvents,
  'minDailyEvents must not exceed maxDailyEvents',
);
export type Thresholds = z.infer<typeof ThresholdsSchema>;

const IntradayVolumeDropParameters = z.strictObject({
  windowsMinutes: z
    .array(z.number().int().min(10).max(1440))
    .min(1)
    .default([60, 180])
    .describe(
      'The shortest and longest trailing windows judged (a drop may begin at any 10-minute boundary between them), besides the day so far. A partial drop shorter than the shortest is a dip traffic has by itself and is not judged; a stop (no event) is, from 10 minutes.',
    ),
  minExpected: z
    .number()
    .positive()
    .default(20)
    .describe(
      'Windows where fewer events than this are expected are not judged: a quiet night pages no one.',
    ),
  criticalP: z
    .number()
    .positive()
    .max(0.5)
    .default(1e-6)
    .describe('CRITICAL: this unlikely under the baseline, and at least this far below it.'),
  criticalDrop: share
    .default(0.5)
    .describe('CRITICAL also needs the count at most this far below the baseline (0.5: half or less)'),
  warningP: z
    .number()
    .positive()
    .max(0.5)
    .default(1e-3)
    .describe(
      "WARNING: a sustained shortfall (windows of 3 h or more, or the day so far). Half, not less: a day 40% down is the close-out's to judge, a tracking break shows as a halving or worse.",
    ),
  warningDrop: share
    .default(0.5)
    .describe('WARNING also needs the count at most this far below the baseline'),
});

const IntradaySilenceParameters = z.strictObject({
  floorMinutes: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe(
      'Silences shorter than this never fire: room for events that reach Kafka late (batched collectors). Lower it where they arrive within seconds: page views are then named at their statistical limit (5 minutes in bench:detection).',
    ),
  quantile: share
    .default(0.5)
    .describe(
      "The learned silence: this quantile of the baseline days' longest silences within ± contextMinutes of the hour (0.5: the median day's, so one bad day does not blind the check).",
    ),
  contextMinutes: z
    .number()
    .int()
    .min(0)
    .max(720)
    .default(60)
    .describe('The hours around now whose silences the baseline days are read for'),
  p: z
    .number()
    .positive()
    .max(0.5)
    .default(1e-6)
    .describe(
      "Fires once no event since the type's last one is this unlikely: the median baseline day's count in that span, with a robust spread.",
    ),
});

const IntradayStepStopParameters = z.strictObject({
  windowMinutes: trailingWindow(120),
  minExpected: z
    .number()
    .positive()
    .default(10)
    .describe('Steps where fewer events than this are predicted are not judged.'),
  maxShare: share.default(0.1).describe('Fires when the step has at most this share of its prediction…'),
  p: z
    .number()
    .positive()
    .max(0.5)
    .default(1e-6)
    .describe('…and that few is this unlikely under the baseline…'),
  minPageViewShare: share
    .default(0.5)
    .describe(
      "…and page views are at least this share of the baseline days' in the window (else it is an outage, not a step).",
    ),
});

const IntradayNullClientRateParameters = z.strictObject({
  windowMinutes: trailingWindow(60),
  minEvents: z.number().int().min(1).default(50).describe('Windows with fewer events are not judged'),
  p: z
    .number()
    .positive()
    .max(0.5)
    .default(1e-3)
    .describe("Above thresholds.maxNullClientRate, and this unlikely at the baseline hours' rate."),
});

/**
 * The intraday checks' parameters, by the section of `intraday:` each reads
 * (its declaration's `parameters`): what an override may change for a day,
 * as it changes thresholds.
 */
const INTRADAY_CHECK_PARAMETERS = {
  volume: IntradayVolumeDropParameters,
  silence: IntradaySilenceParameters,
  stepStop: IntradayStepStopParameters,
  nullClient: IntradayNullClientRateParameters,
};
export type IntradayCheckSection = keyof typeof INTRADAY_CHECK_PARAMETERS;
export const INTRADAY_CHECK_SECTIONS = Object.keys(INTRADAY_CHECK_PARAMETERS) as IntradayCheckSection[];

/** A section as an override names it: only what it changes, so no key has a default. */
function changesOnly<S extends z.ZodObject>(section: S) {
  const shape = Object.fromEntries(
    Object.entries(section.shape).map(([key, field]) => [
      key,
      (field instanceof z.ZodDefault ? field.unwrap() : field).optional(),
    ]),
  );
  return z.strictObject(shape) as unknown as z.ZodType<Partial<z.output<S>>>;
}

const IntradayOverrides = z.strictObject(
  Object.fromEntries(
    INTRADAY_CHECK_SECTIONS.map((section) => [
      section,
      changesOnly(INTRADAY_CHECK_PARAMETERS[section]).optional(),
    ]),
  ) as {
    [K in IntradayCheckSection]: z.ZodOptional<
      z.ZodType<Partial<z.output<(typeof INTRADAY_CHECK_PARAMETERS)[K]>>>
    >;
  },
);

export const OverrideSchema = z
  .strictObject({
    weekdays: z
      .array(z.number().int().min(0).max(6))
      .optional()
      .describe("0 = Sunday … 6 = Saturday, in the monitor's time zone."),
    from: isoDate.optional().describe('The first day it applies (YYYY-MM-DD); absent: every day before `to`'),
    to: isoDate.optional().describe('The last day it applies, inclusive; absent: every day from `from`'),
    reason: z.string().default('').describe('Why, for the reports and whoever reads the config'),
    thresholds: ThresholdOverrides.prefault({}),
    intraday: IntradayOverrides.prefault({}).describe(
      "The intraday checks' parameters for these days (volume, silence, stepStop, nullClient), as under `intraday:`",
    ),
  })
  .refine((o) => o.weekdays || o.from || o.to, 'an override needs weekdays, from or to');

const SnoozeSchema = z.strictObject({
  check: z.string().min(1).describe('A check id (the checks table)'),
  until: isoDate.describe('The last day it is not notified, inclusive'),
  reason: z.string().min(1).describe('Why, for the reports'),
});

const MonitorConfigShape = z.strictObject({
  source: SourceSchema.prefault({}),
  ingest: IngestSchema.prefault({}),
  channels: ChannelRulesSchema.prefault({}),
  traffic: z
    .strictObject({
      excludeBots: z
        .boolean()
        .default(true)
        .describe(
          'Bot events count in volume and device mix, but not as clients, channels or funnel stages.',
        ),
      sessionGapMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(30)
        .describe("A session is a client's run of events with gaps of at most this long."),
      utmTopSources: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .describe('utm_source values named in the report; the rest is summed as "other".'),
    })
    .prefault({}),
  baseline: z
    .strictObject({
      days: z.number().int().min(2).default(7).describe('Closed days a close-out baseline holds'),
      lookbackDays: z.number().int().min(1).default(14).describe('How far back the close-out looks for them'),
      minDays: z
        .number()
        .int()
        .min(2)
        .default(7)
        .describe('Fewer closed days: no z-score, shift or drop is judged'),
      sameWeekday: z
        .strictObject({
          enabled: z.boolean().default(true),
          days: z
            .number()
            .int()
            .min(2)
            .max(52)
            .default(8)
            .describe('Same weekdays a seasonal baseline holds'),
          minDays: z
            .number()
            .int()
            .min(2)
            .max(52)
            .default(6)
            .describe('Closed days of the weekday needed; fewer: the rolling baseline'),
          lookbackWeeks: z
            .number()
            .int()
            .min(1)
            .max(52)
            .default(8)
            .describe('How many weeks back the seasonal baseline looks'),
        })
        .refine(
          (w) => w.minDays <= w.days && w.days <= w.lookbackWeeks,
          'need minDays <= days <= lookbackWeeks',
        )
        .transform(({ enabled, ...w }) => (enabled ? w : null))
        .prefault({})
        .describe(
          'Judge a day against the same weekday (a Sunday against Sundays) once enough of them are closed, else against the latest days; the report says which (baselines.<metric>.season). Weekly patterns then need no override.',
        ),
      excludeAlertedDays: z
        .boolean()
        .default(true)
        .describe(
          "Leave a day out of a metric's baseline when a check about that metric raised a CRITICAL alert on it.",
        ),
      specialDays: z
        .array(SpecialDaysSchema)
        .default([])
        .describe(
          "Holidays, promotions and other days unlike the rest, as windows of days of a kind: judged against earlier days of their kind or not at all, and left out of ordinary days' baselines (close-out and intraday).",
        ),
      ownKindMinDays: z
        .number()
        .int()
        .min(2)
        .default(3)
        .describe(
          'Earlier days of its kind a special day needs to be judged against them; fewer: not judged',
        ),
      ownKindLookbackDays: z
        .number()
        .int()
        .min(7)
        .max(400)
        .default(366)
        .describe("How far back a special day's close-out looks for days of its kind (last year's sale)"),
    })
    .refine((b) => b.minDays <= b.days && b.days <= b.lookbackDays, 'need minDays <= days <= lookbackDays')
    .prefault({}),
  thresholds: ThresholdsSchema.prefault({}),
  overrides: z
    .array(OverrideSchema)
    .default([])
    .describe(
      "Thresholds and intraday check parameters for some days: weekdays and/or a date range; every matching override applies, later ones win. The close-out and the intraday checks read the day's values alike.",
    ),
  expectedChannels: z
    .array(z.string())
    .default([])
    .describe('Channels that must bring clients every day (missing_channel); none by default.'),
  snoozes: z
    .array(SnoozeSchema)
    .default([])
    .describe('A check reported but not notified until a date (close-out and intraday alike)'),
  trackingPlan: z
    .strictObject({
      enabled: z.boolean().default(true).describe('false: no plan, no contract checks.'),
      file: z
        .string()
        .min(1)
        .optional()
        .describe(
          'The plan (YAML or JSON); TRACKING_PLAN_FILE overrides it. Absent: for the flat format, the plan in config/; for the others, none.',
        ),
      maxViolationTriples: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(200)
        .describe(
          'Distinct (event, path, rule) violations a day keeps; the rest count as one overflow entry.',
        ),
    })
    .prefault({}),
  intraday: z
    .strictObject({
      baselineDays: z
        .number()
        .int()
        .min(1)
        .max(60)
        .default(7)
        .describe(
          "Baseline days: the last `baselineDays` days with events within `lookbackDays`, or the same weekday's when enough.",
        ),
      lookbackDays: z
        .number()
        .int()
        .min(7)
        .max(90)
        .default(28)
        .describe('How far back the intraday checks look for baseline days'),
      sameWeekdayDays: z
        .number()
        .int()
        .min(1)
        .max(12)
        .default(4)
        .describe('Same weekdays the baseline takes when enough have events'),
      minSameWeekdayDays: z
        .number()
        .int()
        .min(1)
        .max(12)
        .default(3)
        .describe('Same weekdays with events needed to use them instead of the latest days'),
      minBaselineDays: z
        .number()
        .int()
        .min(1)
        .default(3)
        .describe('Fewer baseline days than this: the checks say so instead of judging.'),
      levelMinutes: z
        .number()
        .int()
        .min(30)
        .max(720)
        .default(180)
        .describe(
          "The minutes before a judged span that tell today's level: the baseline days' counts are scaled by today's over theirs in them.",
        ),
      volume: IntradayVolumeDropParameters.prefault({}),
      silence: IntradaySilenceParameters.prefault({}),
      stepStop: IntradayStepStopParameters.prefault({}).describe(
        "A funnel step (add to cart, checkout, purchase) stopped while page views continue: its events in the trailing window against what the baseline days' rate per page view predicts.",
      ),
      alertTtlMinutes: z
        .number()
        .int()
        .min(1)
        .default(30)
        .describe(
          "A scheduled run's alert stays active in Alertmanager this long unless the next run renews it.",
        ),
      nullClient: IntradayNullClientRateParameters.prefault({}),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      alertTtlHours: z
        .number()
        .positive()
        .default(24)
        .describe(
          'A close-out alert stays active in Alertmanager this long unless the next close-out renews it.',
        ),
    })
    .prefault({}),
});

/** The format's declaration with the configured overrides applied: what the pipeline reads. */
export interface ResolvedSource {
  format: EventFormatName;
  payload: (typeof EVENT_FORMATS)[EventFormatName]['payload'];
  mapping: EventMapping;
  jsonTextFields: readonly string[];
  shapeObjects: readonly string[];
  currency: string | null;
  eventIdWindowHours: number;
}

/** The format's pointers with the configured ones over them: a pointer list replaces, null removes. */
function withOverrides(
  defaults: Readonly<Record<string, readonly string[] | undefined>>,
  overrides: Readonly<Record<string, readonly string[] | null | undefined>>,
): Record<string, readonly string[] | undefined> {
  const out = { ...defaults };
  for (const [key, p] of Object.entries(overrides)) {
    if (p === null) delete out[key];
    else if (p !== undefined) out[key] = p;
  }
  return out;
}

function resolveSource(s: z.infer<typeof SourceSchema>): ResolvedSource {
  const format = EVENT_FORMATS[s.format];
  const fields = withOverrides(format.mapping.fields, s.mapping.fields);
  // without a window no id is remembered: the event id is then not read at all
  if (s.eventIdWindowHours === 0) delete fields.eventId;
  const purchase = withOverrides(format.mapping.purchase, s.mapping.purchase);
  const events = { ...format.mapping.events };
  for (const role of EVENT_ROLES) {
    const names = s.mapping.events[role];
    if (names !== undefined) events[role] = names;
  }
  return {
    format: s.format,
    payload: format.payload,
    mapping: { fields, events, purchase } as EventMapping,
    jsonTextFields: format.jsonTextFields,
    shapeObjects: format.shapeObjects,
    currency: s.currency ?? null,
    eventIdWindowHours: s.eventIdWindowHours,
  };
}

/**
 * A resolved config as a config file would state it: the source back to its
 * format and its whole mapping (the format's facts left to the format), so
 * that it parses to the same config again (`event-monitor config show`).
 */
export function asConfigFile(c: MonitorConfig): Record<string, unknown> {
  const { payload: _payload, jsonTextFields: _json, shapeObjects: _shapes, currency, ...source } = c.source;
  return { ...c, source: { ...source, ...(currency === null ? {} : { currency }) } };
}

export const MonitorConfigSchema = MonitorConfigShape.transform((c) => {
  const format = EVENT_FORMATS[c.source.format];
  return {
    ...c,
    source: resolveSource(c.source),
    ingest: {
      ...c.ingest,
      knownEventNames: c.ingest.knownEventNames ?? [...format.knownEventNames],
      expectedFields: c.ingest.expectedFields ?? [...format.expectedFields],
      fieldAliases: c.ingest.fieldAliases ?? { ...format.fieldAliases },
    },
  };
});

export type MonitorConfig = z.infer<typeof MonitorConfigSchema>;
export type ChannelRules = MonitorConfig['channels'];
export type IngestRules = MonitorConfig['ingest'];
export type TrafficRules = MonitorConfig['traffic'];
export type IntradayRules = MonitorConfig['intraday'];

export interface ConfigChecks {
  /** The checks that exist: snoozes must name one of them. */
  checkIds?: readonly string[];
}

export function parseMonitorConfig(
  input: unknown,
  origin = 'config',
  checks: ConfigChecks = {},
): MonitorConfig {
  const result = MonitorConfigSchema.safeParse(input ?? {});
  // checked on the raw input too, so that one run names every problem
  const lines = snoozeCheckProblems(input, checks.checkIds, origin);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code !== 'unrecognized_keys') {
        lines.push(...formatIssues([issue], `${origin}: `));
        continue;
      }
      // one line per unknown key, with the nearest key valid at that place
      const valid = keysAt(MonitorConfigSchema, issue.path);
      for (const key of issue.keys) {
        lines.push(`${origin}: ${[...issue.path, key].join('.')}: unknown key${didYouMean(key, valid)}`);
      }
    }
  }
  if (lines.length) throw new ConfigError(lines);
  return result.data!;
}

function snoozeCheckProblems(
  input: unknown,
  checkIds: readonly string[] | undefined,
  origin: string,
): string[] {
  const snoozes = (input as { snoozes?: unknown } | null)?.snoozes;
  if (!checkIds || !Array.isArray(snoozes)) return [];
  const lines: string[] = [];
  snoozes.forEach((s, i) => {
    const check = (s as { check?: unknown } | null)?.check;
    if (typeof check === 'string' && check !== '' && !checkIds.includes(check)) {
      lines.push(
        `${origin}: snoozes.${i}.check: no check is called "${check}"${didYouMean(check, checkIds)}`,
      );
    }
  });
  return lines;
}

/** The keys an object schema accepts at `path` (through defaults, optionals, transforms and arrays). */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  type Def = {
    type: string;
    innerType?: unknown;
    in?: unknown;
    shape?: Record<string, unknown>;
    element?: unknown;
  };
  const defOf = (s: unknown) => (s as { _zod: { def: Def } })._zod.def;
  const unwrap = (s: unknown): unknown => {
    for (;;) {
      const def = defOf(s);
      if (def.innerType !== undefined) s = def.innerType;
      else if (def.type === 'pipe') s = def.in;
      else return s;
    }
  };
  let current = unwrap(schema);
  for (const key of path) {
    const def = defOf(current);
    const next =
      def.type === 'object' ? def.shape?.[String(key)] : def.type === 'array' ? def.element : undefined;
    if (next === undefined) return [];
    current = unwrap(next);
  }
  const def = defOf(current);
  return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

export function loadMonitorConfig(file: string | undefined, checks: ConfigChecks = {}): MonitorConfig {
  if (!file) return parseMonitorConfig({}, 'config', checks);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `MONITOR_CONFIG_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
    ]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseMonitorConfig(data, file, checks);
}
