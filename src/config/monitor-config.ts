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
import { didYouMean } from './suggest.ts';

const isoDate = CalendarDateSchema;
/** The monitor creates topics that carry 16 MiB; a larger limit could never be met. */
export const MAX_MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;
const share = z.number().min(0).max(1);

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
  fields: z.strictObject(shapeOf(FIELD_ROLES, Pointers)).prefault({}),
  events: z.strictObject(shapeOf(EVENT_ROLES, z.array(z.string().min(1)).optional())).prefault({}),
  purchase: z.strictObject(shapeOf(PURCHASE_FIELDS, Pointers)).prefault({}),
});

const SourceSchema = z.strictObject({
  /** The shape events arrive in: flat (an export's columns), segment (also RudderStack), shopify-web-pixels, snowplow. */
  format: z.enum(EVENT_FORMAT_NAMES as [EventFormatName, ...EventFormatName[]]).default('flat'),
  mapping: MappingSchema.prefault({}),
  /** ISO 4217 code of purchases that carry none. */
  currency: z
    .string()
    .refine((c) => CURRENCY_CODES.has(c), 'not an ISO 4217 code such as USD or EUR')
    .optional(),
  /**
   * Where the format has an event id: an event delivered again with the same id
   * (a producer's retry) within this many hours of its day is counted once.
   * 0: no deduplication by event id.
   */
  eventIdWindowHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 35)
    .default(48),
});

const IngestSchema = z.strictObject({
  /** Default: the format's event names. */
  knownEventNames: z.array(z.string().min(1)).min(1).optional(),
  /** Default: the format's fields. */
  expectedFields: z.array(FieldName).min(1).optional(),
  /** alias → canonical top-level field. Default: the format's (flat: `clientId` for `client_id`). */
  fieldAliases: z.record(z.string().min(1), z.string().min(1)).optional(),
  maxMessageBytes: z
    .number()
    .int()
    .min(1024)
    .max(MAX_MESSAGE_BYTES_LIMIT)
    .default(1024 * 1024),
  maxFutureSkewSeconds: z.number().int().min(0).default(900),
  /**
   * Events older than this are rejected (`timestamp_out_of_range`): a day long
   * past is out of every report's reach. Replaying an old export needs a larger value.
   */
  maxPastDays: z.number().int().min(1).max(36_500).default(3650),
  /** Field sets and schema ids a namespace remembers (for drift) at most; more are counted as untracked. */
  maxShapes: z.number().int().min(100).max(1_000_000).default(10_000),
  stateTtlDays: z.number().int().min(2).default(35),
  /** 0: a transaction id is a duplicate only within its day. N: also against the N previous days (not Redis Cluster safe). */
  duplicateLookbackDays: z.number().int().min(0).max(30).default(0),
  /** Hold batches instead of dead-lettering the stream when most recent messages are rejected. */
  rejectGuard: z
    .strictObject({
      enabled: z.boolean().default(true),
      windowMessages: z.number().int().min(10).default(2000),
      /** unknown_schema, bad_framing, decode_error: the monitor's setup, not one sender */
      setupShare: share.default(0.5),
      setupMinMessages: z.number().int().min(1).default(20),
      /** any one reason */
      anyShare: share.default(0.98),
      anyMinMessages: z.number().int().min(1).default(500),
    })
    .prefault({}),
});

const ChannelRulesSchema = z.strictObject({
  /**
   * The shop's domain: a referrer on it is the shop's own page, not a referral. Absent: a
   * referrer on the landing page's own host (or a subdomain of it, or it of the referrer's) is.
   */
  shopDomain: z.string().min(1).optional(),
  clickIds: z.array(z.strictObject({ param: z.string().min(1), channel: z.string().min(1) })).default([
    { param: 'gclid', channel: 'Paid Search' },
    { param: 'fbclid', channel: 'Paid Social' },
  ]),
  utm: z
    .strictObject({
      paidMediums: z.array(z.string()).default(['cpc', 'ppc', 'paid']),
      paidChannel: z.string().default('Paid Search'),
      emailSources: z.array(z.string()).default(['email', 'klaviyo']),
      emailMediums: z.array(z.string()).default(['email']),
      emailChannel: z.string().default('Email'),
      affiliateMediums: z.array(z.string()).default(['affiliate']),
      affiliateChannel: z.string().default('Affiliate'),
      otherChannel: z.string().default('Other'),
    })
    .prefault({}),
  referrers: z
    .array(z.strictObject({ contains: z.array(z.string().min(1)).min(1), channel: z.string().min(1) }))
    .default([
      { contains: ['google', 'bing'], channel: 'Organic Search' },
      { contains: ['facebook', 'instagram'], channel: 'Organic Social' },
      { contains: ['source-'], channel: 'Affiliate' },
    ]),
  referralChannel: z.string().default('Referral'),
  directChannel: z.string().default('Direct'),
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
  minDailyEvents: param(count.nullable(), null, 'Fewer events in a day is CRITICAL. null: no floor'),
  maxDailyEvents: param(count.nullable(), null, 'More events in a day is a WARNING. null: no ceiling'),
  maxNullClientRate: param(
    share,
    0.05,
    'Share of events without a client id above which the day (and the intraday hour) is CRITICAL',
  ),
  minDailyRevenue: param(
    z.number().min(0).nullable(),
    null,
    "Revenue below this (in the day's main currency) is CRITICAL. null: no floor",
  ),
  minDailyConversions: param(count.nullable(), null, 'Fewer purchases in a day is CRITICAL. null: no floor'),
  maxDuplicateTransactions: param(count, 0, 'Transaction ids counted twice in a day above this are CRITICAL'),
  maxDuplicateEventShare: param(
    share,
    0.001,
    'Events delivered again with an already counted event id, above this share of the day, are a WARNING',
  ),
  purchaseStopMinExpected: param(
    z.number().min(0),
    7,
    'A run of days without a purchase is named once the baseline expected at least this many in it (without a baseline: always)',
  ),
  revenueStdThreshold: param(
    std,
    2.5,
    'Revenue this many standard deviations from its baseline is a WARNING',
  ),
  aovStdThreshold: param(
    std,
    2.0,
    'Average order value this many standard deviations from its baseline is a WARNING',
  ),
  conversionStdThreshold: param(
    std,
    2.5,
    'Purchases this many standard deviations from their baseline are a WARNING',
  ),
  trafficStdThreshold: param(
    std,
    3.0,
    'Events this many standard deviations from their baseline are a WARNING',
  ),
  eventVolumeShift: param(share, 0.2, 'Events moved more than this share from their baseline mean: WARNING'),
  eventVolumeDrop: param(share, 0.5, 'Events below this share of their baseline mean: CRITICAL'),
  pageViewDrop: param(share, 0.75, 'Page views below this share of their baseline mean: CRITICAL'),
  maxChannelShare: param(share, 0.8, 'One channel holding more than this share of clients is a WARNING'),
  sessionLengthStdThreshold: param(
    std,
    2.5,
    'Mean session length this many standard deviations from its baseline is a WARNING',
  ),
  pageDepthStdThreshold: param(
    std,
    2.5,
    'Mean page depth this many standard deviations from its baseline is a WARNING',
  ),
  sessionShiftMinChange: param(
    share,
    0.1,
    'Session shifts also need this relative move from the mean: a very steady metric has a tiny std',
  ),
  maxBotShare: param(share, 0.2, 'Bot events above this share of the day are a WARNING'),
  botStdThreshold: param(
    std,
    3.0,
    'The bot share this many standard deviations above its baseline is a WARNING',
  ),
  deviceMixShift: param(
    share,
    0.15,
    "A device class's share of events moved more than this many points from its baseline: WARNING",
  ),
  maxUtmSourceShare: param(
    share,
    0.8,
    'One utm_source holding more than this share of UTM landings is a WARNING…',
  ),
  utmSkewBaselineShare: param(share, 0.5, '…unless its baseline share was already at least this'),
  channelCollapseShare: param(
    share,
    0.25,
    'A channel whose share of clients fell below this fraction of its baseline share collapsed: WARNING…',
  ),
  channelCollapseMinShare: param(
    share,
    0.05,
    '…for channels whose baseline share is at least this (small channels swing on their own)',
  ),
  contractRequiredShare: param(
    share,
    0.05,
    'A required property missing, or an unplanned event, on more than this share of its event type: CRITICAL',
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

const OverrideSchema = z
  .strictObject({
    /** 0 = Sunday … 6 = Saturday, in the monitor's time zone. */
    weekdays: z.array(z.number().int().min(0).max(6)).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    reason: z.string().default(''),
    thresholds: ThresholdOverrides,
  })
  .refine((o) => o.weekdays || o.from || o.to, 'an override needs weekdays, from or to');

const SnoozeSchema = z.strictObject({
  check: z.string().min(1),
  until: isoDate,
  reason: z.string().min(1),
});

const MonitorConfigShape = z.strictObject({
  source: SourceSchema.prefault({}),
  ingest: IngestSchema.prefault({}),
  channels: ChannelRulesSchema.prefault({}),
  traffic: z
    .strictObject({
      /** Bot events count in volume and device mix, but not as clients, channels or funnel stages. */
      excludeBots: z.boolean().default(true),
      /** A session is a client's run of events with gaps of at most this long. */
      sessionGapMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(30),
      /** utm_source values named in the report; the rest is summed as "other". */
      utmTopSources: z.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  baseline: z
    .strictObject({
      days: z.number().int().min(2).default(7),
      lookbackDays: z.number().int().min(1).default(14),
      minDays: z.number().int().min(2).default(7),
      /** Leave a day out of a metric's baseline when a check about that metric raised a CRITICAL alert on it. */
      excludeAlertedDays: z.boolean().default(true),
    })
    .refine((b) => b.minDays <= b.days && b.days <= b.lookbackDays, 'need minDays <= days <= lookbackDays')
    .prefault({}),
  thresholds: ThresholdsSchema.prefault({}),
  overrides: z.array(OverrideSchema).default([]),
  /** Channels that must bring clients every day (missing_channel); none by default. */
  expectedChannels: z.array(z.string()).default([]),
  snoozes: z.array(SnoozeSchema).default([]),
  trackingPlan: z
    .strictObject({
      /** false: no plan, no contract checks. */
      enabled: z.boolean().default(true),
      /** The plan (YAML or JSON); TRACKING_PLAN_FILE overrides it. Absent: for the flat format, the plan in config/; for the others, none. */
      file: z.string().min(1).optional(),
      /** Distinct (event, path, rule) violations a day keeps; the rest count as one overflow entry. */
      maxViolationTriples: z.number().int().min(1).max(10_000).default(200),
    })
    .prefault({}),
  intraday: z
    .strictObject({
      /** Baseline days: the last `baselineDays` days with events within `lookbackDays`, or the same weekday's when enough. */
      baselineDays: z.number().int().min(1).max(60).default(7),
      lookbackDays: z.number().int().min(7).max(90).default(28),
      sameWeekdayDays: z.number().int().min(1).max(12).default(4),
      minSameWeekdayDays: z.number().int().min(1).max(12).default(3),
      /** Fewer baseline days than this: the checks say so instead of judging. */
      minBaselineDays: z.number().int().min(1).default(3),
      volume: z
        .strictObject({
          /** Trailing windows judged, besides the day so far. */
          windowsMinutes: z.array(z.number().int().min(10).max(1440)).min(1).default([60, 180]),
          /** Windows where fewer events than this are expected are not judged: a quiet night pages no one. */
          minExpected: z.number().positive().default(20),
          /** CRITICAL: this unlikely under the baseline, and at least this far below it. */
          criticalP: z.number().positive().max(0.5).default(1e-6),
          criticalDrop: share.default(0.5),
          /**
           * WARNING: a sustained shortfall (windows of 3 h or more, or the day so far). Half, not less:
           * a day 40% down is the close-out's to judge, a tracking break shows as a halving or worse.
           */
          warningP: z.number().positive().max(0.5).default(1e-3),
          warningDrop: share.default(0.5),
        })
        .prefault({}),
      silence: z
        .strictObject({
          /** Silences shorter than this never fire. */
          floorMinutes: z.number().int().min(10).default(30),
          /** The learned gap: this quantile of the silences on baseline days within ± contextMinutes of the hour. */
          quantile: share.default(1),
          contextMinutes: z.number().int().min(0).max(720).default(60),
          /** And no event in the silence must be this unlikely under the baseline. */
          p: z.number().positive().max(0.5).default(1e-4),
        })
        .prefault({}),
      /**
       * A funnel step (add to cart, checkout, purchase) stopped while page views continue: its
       * events in the trailing window against what the baseline days' rate per page view predicts.
       */
      stepStop: z
        .strictObject({
          windowMinutes: z.number().int().min(10).max(1440).default(120),
          /** Steps where fewer events than this are predicted are not judged. */
          minExpected: z.number().positive().default(10),
          /** Fires when the step has at most this share of its prediction… */
          maxShare: share.default(0.1),
          /** …and that few is this unlikely under the baseline… */
          p: z.number().positive().max(0.5).default(1e-6),
          /** …and page views are at least this share of the baseline days' in the window (else it is an outage, not a step). */
          minPageViewShare: share.default(0.5),
        })
        .prefault({}),
      /** A scheduled run's alert stays active in Alertmanager this long unless the next run renews it. */
      alertTtlMinutes: z.number().int().min(1).default(30),
      nullClient: z
        .strictObject({
          windowMinutes: z.number().int().min(10).max(1440).default(60),
          minEvents: z.number().int().min(1).default(50),
          /** Above thresholds.maxNullClientRate, and this unlikely at the baseline hours' rate. */
          p: z.number().positive().max(0.5).default(1e-3),
        })
        .prefault({}),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      /** A close-out alert stays active in Alertmanager this long unless the next close-out renews it. */
      alertTtlHours: z.number().positive().default(24),
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
