import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/env.ts';
import { TrackingPlan } from '../../../src/validation/tracking-plan.ts';

const DEFAULT_PLAN = join(import.meta.dirname, '../../../config/tracking-plan.yml');

const base = {
  client_id: 'c1',
  page_url: 'https://shop.example/',
  referrer: '',
  timestamp: '2025-03-01T10:00:00.000Z',
  event_data: '',
  user_agent: 'Mozilla/5.0',
};

const strict = TrackingPlan.compile(
  {
    version: 'test-1',
    unplannedEvents: 'reject',
    events: {
      checkout_completed: {
        action: 'reject',
        schema: {
          type: 'object',
          required: ['client_id'],
          properties: {
            event_data: {
              type: 'object',
              additionalProperties: false,
              required: ['transaction_id'],
              properties: {
                transaction_id: { type: 'string', minLength: 1 },
                user_email: { type: 'string', pattern: '^[0-9a-f]{64}$' },
                items: {
                  type: 'array',
                  items: { type: 'object', properties: { quantity: { type: 'integer', minimum: 1 } } },
                },
              },
            },
          },
        },
      },
    },
  },
  'test plan',
);

describe('tracking plan', () => {
  it('passes an event that keeps the plan', () => {
    const v = strict.check('checkout_completed', {
      ...base,
      event_data: { transaction_id: 't1', user_email: 'a'.repeat(64), items: [{ quantity: 2 }] },
    });
    expect(v).toEqual({ eventName: 'checkout_completed', planned: true, action: 'reject', violations: [] });
  });

  it('names each failing place once, array indexes as *, with the failing keyword', () => {
    const v = strict.check('checkout_completed', {
      ...base,
      client_id: undefined,
      event_data: {
        user_email: 'someone@example.com',
        coupon: 'X',
        items: [{ quantity: '1' }, { quantity: '2' }, { quantity: 0 }],
      },
    });
    expect(v.violations).toEqual(
      expect.arrayContaining([
        { path: '/event_data/items/*/quantity', rule: 'type' },
        { path: '/event_data/items/*/quantity', rule: 'minimum' },
        { path: '/event_data/user_email', rule: 'pattern' },
        { path: '/event_data/transaction_id', rule: 'required' },
        { path: '/event_data/coupon', rule: 'additionalProperties' },
        { path: '/client_id', rule: 'required' },
      ]),
    );
    expect(v.violations).toHaveLength(6);
  });

  it('reports a name the plan lacks as unplanned_event, with the unplanned action', () => {
    expect(strict.check('coupon_applied', base)).toEqual({
      eventName: 'coupon_applied',
      planned: false,
      action: 'reject',
      violations: [{ path: '/event_name', rule: 'unplanned_event' }],
    });
    expect(strict.check(null, base).eventName).toBe('(missing)');
    expect(strict.labelOf('coupon_applied')).toBe('unplanned');
    expect(strict.labelOf('checkout_completed')).toBe('checkout_completed');
  });

  it('records a sender name that does not look like one as (other), never as sent', () => {
    expect(strict.check('someone@example.com', base).eventName).toBe('(other)');
    const v = strict.check('checkout_completed', {
      ...base,
      event_data: { transaction_id: 't1', 'someone@example.com': 1 },
    });
    expect(v.violations).toEqual([{ path: '/event_data/(other)', rule: 'additionalProperties' }]);
  });

  it('stops on a bad plan with one line per problem, all of them in one run', () => {
    let problems: string[] = [];
    try {
      TrackingPlan.compile(
        {
          events: {
            a: { schema: { type: 'strnig' } },
            b: { schema: { properties: { x: { minimun: 1 } } } },
            c: { action: 'block', schema: {} },
          },
        },
        'plan.yml',
      );
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^plan\.yml: events\.c\.action: /),
      'plan.yml: events.a.schema.type: must be equal to one of the allowed values (array, boolean, integer, null, number, object, string)',
      expect.stringMatching(/^plan\.yml: events\.b\.schema: .*minimun/),
    ]);
  });

  it('ships a default plan that states today checks', () => {
    const plan = TrackingPlan.load(DEFAULT_PLAN);
    expect(plan.plannedNames.sort()).toEqual([
      'checkout_completed',
      'checkout_started',
      'email_filled_on_popup',
      'page_viewed',
      'product_added_to_cart',
    ]);
    const purchase = {
      ...base,
      event_name: 'checkout_completed',
      event_data: { transaction_id: ' ', revenue: -1 },
    };
    expect(plan.check('checkout_completed', purchase).violations).toEqual([
      { path: '/event_data/transaction_id', rule: 'pattern' },
      { path: '/event_data/revenue', rule: 'minimum' },
    ]);
    const { referrer: _, ...noReferrer } = { ...base, event_name: 'page_viewed' };
    expect(plan.check('page_viewed', noReferrer).violations).toEqual([
      { path: '/referrer', rule: 'required' },
    ]);
  });
});
