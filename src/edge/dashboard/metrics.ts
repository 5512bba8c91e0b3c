// /_ferry/metrics in the Prometheus text format (version 0.0.4): counts, states, latencies and
// publish outcomes from the dashboard's view. Nothing per reader, no addresses of anyone. Pure.
import { VERDICTS } from '../../core/health/observation.ts';
import type { DashboardView } from '../../ports/dashboard.ts';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(view: DashboardView): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${label(v)}"`)
        .join(',');
      out.push(`${name}${l === '' ? '' : `{${l}}`} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  const targets = [...view.mirrors, ...(view.origin === undefined ? [] : [view.origin])];
  family(
    'ferry_mirrors',
    'gauge',
    'Mirrors in each state.',
    VERDICTS.map((s) => [{ state: s }, view.mirrors.filter((m) => m.state === s).length]),
  );
  family(
    'ferry_target_state',
    'gauge',
    'Each target (mirror, or @origin) is 1 in its current state and 0 in the others.',
    targets.flatMap((m) => VERDICTS.map((s): [Record<string, string>, number] => [{ target: m.id, state: s }, m.state === s ? 1 : 0])),
  );
  family(
    'ferry_target_paused',
    'gauge',
    '1 when a maintainer paused the mirror.',
    view.mirrors.map((m) => [{ target: m.id }, m.paused ? 1 : 0]),
  );
  family(
    'ferry_probe_duration_seconds',
    'gauge',
    'How long the last probe of each target from this checker took.',
    targets.flatMap((m) => {
      const last = m.latencies[m.latencies.length - 1];
      return last === undefined ? [] : [[{ target: m.id }, last / 1000] as [Record<string, string>, number]];
    }),
  );
  family(
    'ferry_canonical',
    'gauge',
    'The mirror the canonical link points to (1).',
    view.canonical?.id === undefined ? [] : [[{ target: view.canonical.id }, 1]],
  );
  const outcomes = new Map<string, number>();
  for (const p of view.publishes) outcomes.set(p.outcome, (outcomes.get(p.outcome) ?? 0) + 1);
  family(
    'ferry_recent_publishes',
    'gauge',
    'Publish runs among the most recent ones kept, by outcome.',
    [...outcomes].map(([outcome, n]) => [{ outcome }, n]),
  );
  const last = view.publishes.find((p) => p.version !== undefined && p.outcome !== 'failed');
  family(
    'ferry_last_publish_version',
    'gauge',
    'Version of the last signed snapshot published.',
    last?.version === undefined ? [] : [[{}, last.version]],
  );
  family(
    'ferry_last_publish_timestamp_seconds',
    'gauge',
    'When the last snapshot was published (Unix time).',
    last === undefined ? [] : [[{}, Date.parse(last.ended ?? last.started) / 1000]],
  );
  family('ferry_held_posts', 'gauge', 'Posts held back for a maintainer.', [[{}, view.held.length]]);
  family('ferry_recent_alerts', 'gauge', 'Alerts among the most recent ones kept, by whether they were delivered.', [
    [{ delivered: 'true' }, view.alerts.filter((a) => a.ok).length],
    [{ delivered: 'false' }, view.alerts.filter((a) => !a.ok).length],
  ]);
  return `${out.join('\n')}\n`;
}
