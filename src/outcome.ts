/**
 * How a consumed message can end when it is not accepted: the reasons every
 * layer names (decoding, validation, the state's refusal). A leaf: it imports
 * nothing, so source, validation, aggregation and ingest all may use it.
 */
export const REJECT_REASONS = [
  'empty',
  'too_large',
  'not_utf8',
  'not_json',
  'bad_framing',
  'unknown_schema',
  'decode_error',
  'not_object',
  'timestamp_missing',
  'timestamp_invalid',
  /** Older than `ingest.maxPastDays`, or in a year no calendar date can name. */
  'timestamp_out_of_range',
  /** The tracking plan rejects it (an event set to `action: reject`, or unplanned under `unplannedEvents: reject`). */
  'contract_violation',
  /** Valid as far as validation can tell, but the state refused it twice on its own: poison. */
  'apply_error',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
