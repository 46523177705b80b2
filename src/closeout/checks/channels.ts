/** Attribution: one channel taking everything, expected channels gone, a channel collapsing. */
import { pct } from '../format.ts';
import { defineCheck, wholePct } from './declaration.ts';
import { shareRef } from './metric-refs.ts';

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
  defineCheck({
    id: 'channel_collapse',
    severity: 'WARNING',
    kind: 'logical',
    evaluate: (c) => {
      const t = c.thresholds;
      let worst: { channel: string; today: number; mean: number; days: number } | null = null;
      for (const channel of c.keysOf('channel_share')) {
        const base = c.baseline(shareRef('channel_share', channel));
        if (!base || base.mean < t.channelCollapseMinShare) continue;
        const today = c.metrics.channel_share[channel] ?? 0;
        if (today >= t.channelCollapseShare * base.mean) continue;
        if (!worst || today / base.mean < worst.today / worst.mean)
          worst = { channel, today, mean: base.mean, days: base.n };
      }
      if (!worst) return null;
      return {
        message: `Channel ${worst.channel} holds ${pct(worst.today)} of clients, against ${pct(worst.mean)} on its ${worst.days}-day average`,
        value: worst.today,
        threshold: Number((t.channelCollapseShare * worst.mean).toFixed(6)),
      };
    },
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
