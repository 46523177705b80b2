/** Attribution: one channel taking everything, expected channels gone, a channel collapsing. */
import { pct } from '../format.ts';
import { defineCheck, wholePct } from './declaration.ts';

export const CHANNEL_CHECKS = [
  defineCheck({
    id: 'traffic_concentration',
    severity: 'WARNING',
    kind: 'logical',
    evaluate: ({ metrics: m, thresholds: t }) => {
      const top = Object.entries(m.channel_share).sort((a, b) => b[1] - a[1])[0];
      if (!top || top[1] <= t.maxChannelShare) return null;
      return {
        message: `Channel ${top[0]} holds ${pct(top[1])} of clients (limit ${pct(t.maxChannelShare)})`,
        value: top[1],
        threshold: t.maxChannelShare,
      };
    },
    playbook: {
      title: ({ limit }) => `One channel holds more than ${wholePct(limit)} of clients`,
      investigate: ['Check UTM and click-id parameters on landing pages', 'Check referrer capture'],
      resolution:
        'Unusual concentration, possibly broken attribution: fix the campaign tagging or referrer capture',
    },
  }),
  defineCheck({
    id: 'missing_channel',
    severity: 'WARNING',
    kind: 'logical',
    evaluate: ({ metrics: m, expectedChannels }) => {
      const absent = expectedChannels.filter((ch) => (m.channel_share[ch] ?? 0) === 0);
      if (!absent.length) return null;
      return {
        message: `Expected channel${absent.length > 1 ? 's' : ''} without clients: ${absent.join(', ')}`,
        value: absent.join(','),
        threshold: 'at least one client',
      };
    },
    playbook: {
      title: () => 'An expected channel has no clients',
      investigate: [
        'Check UTM and click-id parameters (gclid) on paid landing pages',
        'Check referrer capture',
      ],
      resolution: 'Attribution tracking may be broken: restore the parameters the channel rules need',
    },
  }),
] as const;
