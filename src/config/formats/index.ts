/** The source formats by name: `source.format` in the monitoring config. */
import { flat } from './flat.ts';
import type { EventFormat } from './format.ts';
import { segment } from './segment.ts';
import { shopifyWebPixels } from './shopify-web-pixels.ts';
import { snowplow } from './snowplow.ts';

export const EVENT_FORMATS = {
  flat,
  segment,
  'shopify-web-pixels': shopifyWebPixels,
  snowplow,
} as const satisfies Record<string, EventFormat>;

export type EventFormatName = keyof typeof EVENT_FORMATS;
export const EVENT_FORMAT_NAMES = Object.keys(EVENT_FORMATS) as EventFormatName[];
export * from './format.ts';
