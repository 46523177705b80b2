/**
 * Stops the consumer from dead-lettering the whole stream when the fault is
 * ours: when too many recent messages are rejected for a reason that points at
 * the monitor's own setup (the registry lacks the schemas, the decoder expects
 * another framing), or for any one reason once the share is overwhelming, the
 * batch is held (a retriable error: the consumer retries it with backoff and
 * reports itself not ready) instead of dead-lettered. Each retry settles the
 * batch again, so the hold lifts by itself once the cause clears. Pure: it
 * judges counts, nothing else.
 */
import { MonitorError } from '../errors.ts';
import type { RejectReason } from '../outcome.ts';

/** Reasons that say more about the monitor's setup than about one sender. */
export const SETUP_REASONS: readonly RejectReason[] = ['unknown_schema', 'bad_framing', 'decode_error'];

export interface RejectGuardRules {
  enabled: boolean;
  /** Recent messages judged together: the batch and those before it, up to this many. */
  windowMessages: number;
  /** Setup reasons above this share of the window hold the batch… */
  setupShare: number;
  /** …once the window holds at least this many messages. */
  setupMinMessages: number;
  /** Any single reason above this share holds the batch… */
  anyShare: number;
  /** …once the window holds at least this many messages. */
  anyMinMessages: number;
}

export type GuardVerdict =
  | { hold: false }
  | { hold: true; reason: RejectReason; share: number; messages: number; setup: boolean };

/** The batch is held rather than dead-lettered: retrying it later is the point. */
export class RejectGuardHoldError extends MonitorError {
  constructor(readonly verdict: Extract<GuardVerdict, { hold: true }>) {
    super(
      `holding the batch instead of dead-lettering it: ${(verdict.share * 100).toFixed(1)}% of the last ${verdict.messages} messages rejected as ${verdict.reason}${verdict.setup ? ", which points at the monitor's setup (schema registry, decoder)" : ''}`,
      { retriable: true, system: 'guard' },
    );
  }
}

interface Judged {
  total: number;
  rejected: Map<RejectReason, number>;
}

export class RejectGuard {
  private readonly window: Judged[] = [];
  private total = 0;
  private readonly rejected = new Map<RejectReason, number>();
  /** Per source partition, the verdict that holds its batch. */
  private readonly held = new Map<string, Extract<GuardVerdict, { hold: true }>>();

  constructor(private readonly rules: RejectGuardRules) {}

  /** Whether a partition's batch is held. */
  get holding(): boolean {
    return this.held.size > 0;
  }

  /**
   * Judges a batch (its size and its rejections by reason) with the recent
   * window. A batch let through joins the window; a held one does not.
   */
  judge(
    partition: string,
    batchTotal: number,
    batchRejected: ReadonlyMap<RejectReason, number>,
  ): GuardVerdict {
    if (!this.rules.enabled || batchRejected.size === 0) {
      this.admit(partition, batchTotal, batchRejected);
      return { hold: false };
    }
    const total = this.total + batchTotal;
    const count = (r: RejectReason) => (this.rejected.get(r) ?? 0) + (batchRejected.get(r) ?? 0);
    let verdict: GuardVerdict = { hold: false };
    const setup = SETUP_REASONS.reduce((n, r) => n + count(r), 0);
    if (total >= this.rules.setupMinMessages && setup / total > this.rules.setupShare) {
      const worst = [...SETUP_REASONS].sort((a, b) => count(b) - count(a))[0]!;
      verdict = { hold: true, reason: worst, share: setup / total, messages: total, setup: true };
    } else if (total >= this.rules.anyMinMessages) {
      for (const reason of batchRejected.keys()) {
        const share = count(reason) / total;
        if (share > this.rules.anyShare) {
          verdict = { hold: true, reason, share, messages: total, setup: false };
          break;
        }
      }
    }
    if (verdict.hold) {
      this.held.set(partition, verdict);
      return verdict;
    }
    this.admit(partition, batchTotal, batchRejected);
    return verdict;
  }

  private admit(partition: string, batchTotal: number, batchRejected: ReadonlyMap<RejectReason, number>) {
    this.held.delete(partition);
    if (batchTotal === 0) return;
    this.window.push({ total: batchTotal, rejected: new Map(batchRejected) });
    this.total += batchTotal;
    for (const [r, n] of batchRejected) this.rejected.set(r, (this.rejected.get(r) ?? 0) + n);
    // the oldest batches leave once the rest still fills the window
    while (this.window.length > 1 && this.total - this.window[0]!.total >= this.rules.windowMessages) {
      const old = this.window.shift()!;
      this.total -= old.total;
      for (const [r, n] of old.rejected) this.rejected.set(r, (this.rejected.get(r) ?? 0) - n);
    }
  }
}
