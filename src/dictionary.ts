/**
 * A record keyed by sender text (event names, field names, header names):
 * no prototype, so `constructor`, `toString` or `__proto__` are keys like any
 * other, never an inherited member read or a prototype set.
 */
export const dictionary = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
