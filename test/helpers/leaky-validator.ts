/**
 * Fault injection for the state's refusal: a validator that lets one value
 * through unmade-safe (a lone surrogate as event name, for events named
 * "poison"), which the apply script's JSON decoder refuses. Validation makes
 * every real input safe, so this is the only way to make the state refuse a
 * message and see it dead-lettered as apply_error.
 */
import { EventValidator, type Validated } from '../../src/validation/event.ts';

export class LeakyValidator extends EventValidator {
  override validate(raw: Record<string, unknown>, nowMs: number): Validated {
    const v = super.validate(raw, nowMs);
    if (v.ok && raw.event_name === 'poison') v.event.eventName = '\ud83d';
    return v;
  }
}
