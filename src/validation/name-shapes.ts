/**
 * What a sender-chosen name must look like to be named in reports and in the
 * state's violation records: a tracker sending e-mail addresses as event or
 * property names must not put them there. Pure.
 */
export const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Field names: camelCase too (clientId is a real alias). */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
