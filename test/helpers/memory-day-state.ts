/**
 * The exactly-once protocol of the state port (ingest/ports.ts) in memory, as
 * apply-day-batch.lua answers it: a slice is applied only under its expected
 * watermark, skipped when the day's watermark already covers it, refused when
 * the day already counted one of its event ids. For the batch processor's
 * fast unit tests of its orchestration; Redis's own behaviour is proven by
 * the integration tests against a real Redis.
 */
import type { DayStatePort } from '../../src/ingest/ports.ts';
import type { ApplyResult } from '../../src/state/commands.ts';

interface DayRecord {
  watermarks: Map<string, number>;
  events: number;
  duplicateEvents: number;
  eventIds: Set<string>;
}

export class MemoryDayState implements DayStatePort {
  readonly days = new Map<string, DayRecord>();
  readonly calls: string[] = [];
  private readonly shapes = new Set<string>();

  day(day: string): DayRecord {
    let d = this.days.get(day);
    if (!d) {
      d = { watermarks: new Map(), events: 0, duplicateEvents: 0, eventIds: new Set() };
      this.days.set(day, d);
    }
    return d;
  }

  async watermarks(days: string[], partitionKey: string): Promise<Map<string, number>> {
    this.calls.push('watermarks');
    return new Map(days.map((d) => [d, this.day(d).watermarks.get(partitionKey) ?? -1]));
  }

  async applyMany(slices: Parameters<DayStatePort['applyMany']>[0]): Promise<ApplyResult[]> {
    this.calls.push('applyMany');
    return slices.map((s) => {
      const d = this.day(s.delta.day);
      const w = d.watermarks.get(s.partitionKey) ?? -1;
      if (w >= s.lastOffset) return { status: 'already_applied', watermark: w };
      if (w !== s.expectedWatermark) return { status: 'watermark_moved', watermark: w };
      const seen = s.delta.eventIds.filter((id) => d.eventIds.has(id));
      if (seen.length) return { status: 'events_seen', watermark: w, eventIds: seen };
      for (const id of s.delta.eventIds) d.eventIds.add(id);
      d.events += s.delta.counters.events;
      d.duplicateEvents += s.delta.counters.duplicateEvents;
      d.watermarks.set(s.partitionKey, s.lastOffset);
      return { status: 'applied', watermark: s.lastOffset, duplicates: 0 };
    });
  }

  async awaitReplicas(): Promise<string[]> {
    return [];
  }

  async rememberShapes(shapes: string[]): Promise<{ fresh: string[]; untracked: number }> {
    const fresh = shapes.filter((s) => !this.shapes.has(s));
    for (const s of fresh) this.shapes.add(s);
    return { fresh, untracked: 0 };
  }
}
