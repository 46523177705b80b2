/** Attribution: one channel taking everything, expected channels gone, a channel collapsing. */
import { pct } from '../format.ts';
import { defineCheck, wholePct } from './declaration.ts';

export const CHANNEL_CHECKS = [
  defineCheck({
    id: 'traffic_concentration',
    severity: 'WARNING',
    kind: 'share_max',
    over: 'channel_share',
    threshold: 'maxChannelShare',
    message: (f) => `Channel ${f.key} holds ${pct(f.today)} of clients (limit ${pct(f.limit)})`,
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
  defineCheck({
    id: 'channel_collapse',
    severity: 'WARNING',
    kind: 'share_drop',
    over: 'channel_share',
    threshold: 'channelCollapseShare',
    minShare: 'channelCollapseMinShare',
    message: (f) =>
      `Channel ${f.key} holds ${pct(f.today)} of clients, against ${pct(f.mean!)} on its ${f.days}-day average`,
    playbook: {
      title: () => 'A channel collapsed against its usual share of clients',
      investigate: [
        'Check the referrer column and the UTM and click-id parameters the channel rules read',
        'Check redirects or consent banners that strip referrers or parameters',
        'Compare with the channel in the ad platform or search console for the day',
      ],
      resolution:
        'Attribution lost, not traffic: restore the field the channel rules need; channel figures of the day are unreliable',
    },
  }),
] as const;
