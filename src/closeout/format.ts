/**
 * Number formats shared by the alert messages and the text and HTML reports. Pure.
 */
export const count = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
export const money = (v: number) =>
  `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
