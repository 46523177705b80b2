/**
 * Device class of a user agent: bot (isbot's crawler list), else mobile, tablet
 * or desktop from ua-parser-js. Pure; results are cached per user-agent string
 * because a shop's traffic repeats a few thousand of them.
 */
import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';

export const DEVICE_CLASSES = ['desktop', 'mobile', 'tablet', 'bot', 'other', 'unknown'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

const cache = new Map<string, DeviceClass>();
const MAX_CACHED = 10_000;

export function classifyDevice(userAgent: string | null): DeviceClass {
  if (!userAgent) return 'unknown';
  let device = cache.get(userAgent);
  if (device === undefined) {
    device = classify(userAgent);
    if (cache.size >= MAX_CACHED) cache.clear(); // hostile senders: bounded memory
    cache.set(userAgent, device);
  }
  return device;
}

function classify(userAgent: string): DeviceClass {
  if (isbot(userAgent)) return 'bot';
  // ua-parser-js names a device type only for non-desktop devices
  switch (new UAParser(userAgent).getDevice().type) {
    case undefined:
      return 'desktop';
    case 'mobile':
    case 'wearable':
      return 'mobile';
    case 'tablet':
      return 'tablet';
    default:
      return 'other'; // smart TVs, consoles, embedded browsers
  }
}
