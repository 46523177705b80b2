/**
 * Number formats shared by the alert messages and the text and HTML reports. Pure.
 */
export const count = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
/** An amount with its ISO currency code ("USD 1,234.50"); without one when no event or config named it. */
export const money = (v: number, currency?: string | null) => {
  const amount = v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return currency ? `${currency} ${amount}` : amount;
};
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
