/**
 * What people said of a check's alert on a day (`event-monitor feedback`),
 * per namespace: the latest word on a day's check counts. Baselines and the
 * checks' track record read it.
 */
import { z } from 'zod';
import { SUMMARY_TTL_SECONDS } from './closeout-archive.ts';
import type { StateKeys } from './keys.ts';
import type { RedisClient } from './redis.ts';

/** incident and expected keep the day out of the check's baselines; false_positive counts against the check. */
export const FEEDBACK_VERDICTS = ['incident', 'expected', 'false_positive'] as const;

/** What someone said of a check's alert on a day, as stored (the day and check are its field). */
const FeedbackRecordSchema = z.object({
  verdict: z.enum(FEEDBACK_VERDICTS),
  note: z.string(),
  atMs: z.number(),
});
export type FeedbackEntry = z.infer<typeof FeedbackRecordSchema> & { day: string; check: string };

export class FeedbackStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: StateKeys,
  ) {}

  /** Record what people said of a check's alert on a day (the latest word counts). */
  async save(entry: FeedbackEntry): Promise<void> {
    const { day, check, ...rest } = entry;
    await this.redis.hset(this.keys.feedback(), `${day}\t${check}`, JSON.stringify(rest));
    // verdicts serve baselines as long as the summaries they judge
    await this.redis.expire(this.keys.feedback(), SUMMARY_TTL_SECONDS);
  }

  /** Every verdict people gave in this namespace, by day then check. */
  async read(): Promise<FeedbackEntry[]> {
    const hash = await this.redis.hgetall(this.keys.feedback());
    return Object.entries(hash)
      .flatMap(([field, value]) => {
        const [day, check] = field.split('\t');
        const record = FeedbackRecordSchema.safeParse(JSON.parse(value));
        return record.success && day && check ? [{ day, check, ...record.data }] : [];
      })
      .sort((a, b) => a.day.localeCompare(b.day) || a.check.localeCompare(b.check));
  }
}
