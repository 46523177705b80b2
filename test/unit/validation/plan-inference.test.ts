/**
 * `plan infer` on the real export: the draft is a valid plan, the export
 * satisfies it with zero violations, and it flags each crafted violation.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planInfer } from '../../../src/cli/plan.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { listCsvFiles, readCsvEvents } from '../../../src/replay/csv-events.ts';
import { EventValidator } from '../../../src/validation/event.ts';
import { TrackingPlan } from '../../../src/validation/tracking-plan.ts';
import { PUFFY_DIR } from '../../helpers/reference.ts';

let plan: TrackingPlan;
let drafted: Awaited<ReturnType<typeof planInfer>>;
const purchases: Record<string, unknown>[] = [];

beforeAll(async () => {
  drafted = await planInfer([PUFFY_DIR], 'inferred-test');
  plan = TrackingPlan.compile(parseYaml(drafted.yaml), 'drafted plan');
});

describe('plan infer on the real export', () => {
  it('reads every row and notes what each rule was drawn from', () => {
    expect(drafted.events).toBe(49_963);
    expect(drafted.skippedRows).toBe(0);
    expect(drafted.yaml).toMatch(
      /checkout_completed:\n {4}action: mark\n {4}schema:[\s\S]*# drawn from 294 events/,
    );
    expect(drafted.yaml).toMatch(
      /user_email:\n +type: string # seen 294 times; all 294 strings 64-hex hashes\n +pattern: \^\[0-9a-f\]\{64\}\$/,
    );
  });

  const flat = new EventValidator(parseMonitorConfig({}).ingest);
  it('writes a plan the export satisfies with zero violations', async () => {
    let checked = 0;
    const broken: string[] = [];
    for (const file of listCsvFiles([PUFFY_DIR])) {
      for await (const row of readCsvEvents(file, () => {})) {
        const event = flat.describe(row.fields).view;
        const verdict = plan.check(row.fields.event_name ?? null, event);
        checked++;
        for (const v of verdict.violations) broken.push(`${verdict.eventName} ${v.path} ${v.rule}`);
        if (row.fields.event_name === 'checkout_completed' && purchases.length < 3) purchases.push(event);
      }
    }
    expect(checked).toBe(49_963);
    expect(broken).toEqual([]);
  });

  it('flags each crafted violation', () => {
    const purchase = purchases[0] as Record<string, unknown> & { event_data: Record<string, unknown> };
    const items = purchase.event_data.items as Record<string, unknown>[];
    const check = (event: Record<string, unknown>) =>
      plan.check(String(event.event_name), event).violations.map((v) => `${v.path} ${v.rule}`);

    expect(
      check({
        ...purchase,
        event_data: { ...purchase.event_data, items: items.map((i) => ({ ...i, quantity: '1' })) },
      }),
    ).toEqual(['/event_data/items/*/quantity type']);
    expect(
      check({ ...purchase, event_data: { ...purchase.event_data, user_email: 'someone@example.com' } }),
    ).toEqual(['/event_data/user_email pattern']);
    const { transaction_id: _, ...noTransaction } = purchase.event_data;
    expect(check({ ...purchase, event_data: noTransaction })).toEqual([
      '/event_data/transaction_id required',
    ]);
    expect(check({ ...purchase, event_data: { ...purchase.event_data, coupon: 'SPRING' } })).toEqual([
      '/event_data/coupon additionalProperties',
    ]);
    expect(plan.check('coupon_applied', { ...purchase, event_name: 'coupon_applied' }).violations).toEqual([
      { path: '/event_name', rule: 'unplanned_event' },
    ]);
  });
});
