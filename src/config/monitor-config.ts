/**
 * What the monitor checks and how: ingest rules, channel rules, thresholds,
 * baseline, overrides and snoozes. Defaults are the seed monitor's; a YAML or
 * JSON file (MONITOR_CONFIG_FILE) overrides any part of it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatIssues } from './env.ts';

export const EVENT_NAMES = [
  'page_viewed',
  'email_filled_on_popup',
  'product_added_to_cart',
  'checkout_started',
  'checkout_completed',
] as const;

export const EXPECTED_FIELDS = [
  'client_id',
  'page_url',
  'referrer',
  'timestamp',
  'event_name',
  'event_data',
  'user_agent',
] as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const share = z.number().min(0).max(1);

const IngestSchema = z.object({
  knownEventNames: z
    .array(z.string().min(1))
    .min(1)
    .default([...EVENT_NAMES]),
  expectedFields: z
    .array(z.string().min(1))
    .min(1)
    .default([...EXPECTED_FIELDS]),
  /** alias → canonical field; `clientId` arrives instead of `client_id` from 2025-02-27 in the real export. */
  fieldAliases: z.record(z.string().min(1), z.string().min(1)).default({ clientId: 'client_id' }),
  maxMessageBytes: z
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  maxFutureSkewSeconds: z.number().int().min(0).default(900),
  stateTtlDays: z.number().int().min(2).default(35),
  /** 0: a transaction id is a duplicate only within its day. N: also against the N previous days (not Redis Cluster safe). */
  duplicateLookbackDays: z.number().int().min(0).max(30).default(0),
});

const ChannelRulesSchema = z.object({
  shopDomain: z.string().min(1).default('puffy.com'),
  clickIds: z.array(z.object({ param: z.string().min(1), channel: z.string().min(1) })).default([
    { param: 'gclid', channel: 'Paid Search' },
    { param: 'fbclid', channel: 'Paid Social' },
  ]),
  utm: z
    .object({
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
    .array(z.object({ contains: z.array(z.string().min(1)).min(1), channel: z.string().min(1) }))
    .default([
      { contains: ['google', 'bing'], channel: 'Organic Search' },
      { contains: ['facebook', 'instagram'], channel: 'Organic Social' },
      { contains: ['source-'], channel: 'Affiliate' },
    ]),
  referralChannel: z.string().default('Referral'),
  directChannel: z.string().default('Direct'),
});

/** Every threshold of the close-out checks; names match the check that uses them. */
const ThresholdValues = z.object({
  minDailyEvents: z.number(),
  maxDailyEvents: z.number(),
  maxNullClientRate: share,
  minDailyRevenue: z.number(),
  minDailyConversions: z.number(),
  maxDuplicateTransactions: z.number().int().min(0),
  revenueStdThreshold: z.number().positive(),
  aovStdThreshold: z.number().positive(),
  conversionStdThreshold: z.number().positive(),
  trafficStdThreshold: z.number().positive(),
  eventVolumeShift: share,
  eventVolumeDrop: share,
  pageViewDrop: share,
  maxChannelShare: share,
  sessionLengthStdThreshold: z.number().positive(),
  pageDepthStdThreshold: z.number().positive(),
  /** Session shifts also need this relative move from the mean: a very steady metric has a tiny std. */
  sessionShiftMinChange: share,
  maxBotShare: share,
  botStdThreshold: z.number().positive(),
  deviceMixShift: share,
  maxUtmSourceShare: share,
  utmSkewBaselineShare: share,
});

/** The seed monitor's thresholds. */
export const DEFAULT_THRESHOLDS: z.infer<typeof ThresholdValues> = {
  minDailyEvents: 2000,
  maxDailyEvents: 8000,
  maxNullClientRate: 0.05,
  minDailyRevenue: 10_000,
  minDailyConversions: 10,
  maxDuplicateTransactions: 0,
  revenueStdThreshold: 2.5,
  aovStdThreshold: 2.0,
  conversionStdThreshold: 2.5,
  trafficStdThreshold: 3.0,
  eventVolumeShift: 0.2,
  eventVolumeDrop: 0.5,
  pageViewDrop: 0.75,
  maxChannelShare: 0.8,
  sessionLengthStdThreshold: 2.5,
  pageDepthStdThreshold: 2.5,
  sessionShiftMinChange: 0.1,
  maxBotShare: 0.2,
  botStdThreshold: 3.0,
  deviceMixShift: 0.15,
  maxUtmSourceShare: 0.8,
  utmSkewBaselineShare: 0.5,
};

// Overrides name only what they change, so the partial schema has no defaults.
const ThresholdOverrides = ThresholdValues.partial();
export const ThresholdsSchema = ThresholdOverrides.transform((t) => ({ ...DEFAULT_THRESHOLDS, ...t }));
export type Thresholds = z.infer<typeof ThresholdsSchema>;

const OverrideSchema = z
  .object({
    /** 0 = Sunday … 6 = Saturday, in the monitor's time zone. */
    weekdays: z.array(z.number().int().min(0).max(6)).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    reason: z.string().default(''),
    thresholds: ThresholdOverrides,
  })
  .refine((o) => o.weekdays || o.from || o.to, 'an override needs weekdays, from or to');

const SnoozeSchema = z.object({
  check: z.string().min(1),
  until: isoDate,
  reason: z.string().min(1),
});

export const MonitorConfigSchema = z.object({
  ingest: IngestSchema.prefault({}),
  channels: ChannelRulesSchema.prefault({}),
  traffic: z
    .object({
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
    .object({
      days: z.number().int().min(2).default(7),
      lookbackDays: z.number().int().min(1).default(14),
      minDays: z.number().int().min(2).default(7),
    })
    .refine((b) => b.minDays <= b.days && b.days <= b.lookbackDays, 'need minDays <= days <= lookbackDays')
    .prefault({}),
  thresholds: ThresholdsSchema.prefault({}),
  overrides: z.array(OverrideSchema).default([]),
  expectedChannels: z.array(z.string()).default(['Direct', 'Paid Search']),
  snoozes: z.array(SnoozeSchema).default([]),
  delivery: z
    .object({
      /** A close-out alert stays active in Alertmanager this long unless the next close-out renews it. */
      alertTtlHours: z.number().positive().default(24),
    })
    .prefault({}),
});

export type MonitorConfig = z.infer<typeof MonitorConfigSchema>;
export type ChannelRules = MonitorConfig['channels'];
export type IngestRules = MonitorConfig['ingest'];
export type TrafficRules = MonitorConfig['traffic'];

export function parseMonitorConfig(input: unknown, origin = 'config'): MonitorConfig {
  const result = MonitorConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, `${origin}: `));
  return result.data;
}

export function loadMonitorConfig(file: string | undefined): MonitorConfig {
  if (!file) return parseMonitorConfig({});
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
  return parseMonitorConfig(data, file);
}
