import { describe, expect, it } from 'vitest';
import { RejectGuard, type RejectGuardRules } from '../../../src/ingest/reject-guard.ts';
import type { RejectReason } from '../../../src/outcome.ts';

const RULES: RejectGuardRules = {
  enabled: true,
  windowMessages: 1000,
  setupShare: 0.5,
  setupMinMessages: 20,
  anyShare: 0.98,
  anyMinMessages: 500,
};
const reasons = (r: Partial<Record<RejectReason, number>>) =>
  new Map(Object.entries(r)) as Map<RejectReason, number>;

describe('reject guard', () => {
  it('holds a first batch that the registry cannot decode, instead of dead-lettering it', () => {
    const g = new RejectGuard(RULES);
    const v = g.judge('t/0', 100, reasons({ unknown_schema: 100 }));
    expect(v).toEqual({ hold: true, reason: 'unknown_schema', share: 1, messages: 100, setup: true });
    expect(g.holding).toBe(true);
  });

  it('lets a few setup rejects through while there is too little to judge by', () => {
    const g = new RejectGuard(RULES);
    expect(g.judge('t/0', 5, reasons({ bad_framing: 5 }))).toEqual({ hold: false });
  });

  it('lets a sender bad now and then through, and holds once setup rejects take over the window', () => {
    const g = new RejectGuard(RULES);
    expect(g.judge('t/0', 800, reasons({ unknown_schema: 10 })).hold).toBe(false);
    expect(g.judge('t/0', 200, reasons({ unknown_schema: 150 })).hold).toBe(false); // 160 of 1000
    expect(g.judge('t/1', 1000, reasons({ unknown_schema: 1000 })).hold).toBe(true); // 1160 of 2000
  });

  it('releases the hold once the same batch settles well (the cause cleared)', () => {
    const g = new RejectGuard(RULES);
    expect(g.judge('t/0', 100, reasons({ decode_error: 100 })).hold).toBe(true);
    expect(g.judge('t/0', 100, reasons({})).hold).toBe(false);
    expect(g.holding).toBe(false);
  });

  it('holds for any one reason only when it is overwhelming, on enough messages', () => {
    const g = new RejectGuard(RULES);
    expect(g.judge('t/0', 400, reasons({ not_json: 400 })).hold).toBe(false); // too few to judge
    const v = g.judge('t/1', 400, reasons({ not_json: 400 }));
    expect(v).toMatchObject({ hold: true, reason: 'not_json', setup: false, messages: 800 });
    const mixed = new RejectGuard(RULES);
    expect(mixed.judge('t/0', 1000, reasons({ contract_violation: 950 })).hold).toBe(false);
  });

  it('forgets batches that left the window', () => {
    const g = new RejectGuard(RULES);
    g.judge('t/0', 500, reasons({ unknown_schema: 10 }));
    for (let i = 0; i < 4; i++) g.judge('t/0', 500, reasons({}));
    // the window now holds the last 1000 or so clean messages: 400 setup rejects are 29%
    expect(g.judge('t/0', 400, reasons({ unknown_schema: 400 })).hold).toBe(false);
  });

  it('does nothing when turned off', () => {
    const g = new RejectGuard({ ...RULES, enabled: false });
    expect(g.judge('t/0', 1000, reasons({ unknown_schema: 1000 })).hold).toBe(false);
  });
});
