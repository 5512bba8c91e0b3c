// The control comparison of a probe: the same URL fetched over an uncensored path (a control
// helper, a proxy elsewhere), compared OONI-style with what the probe got (core/health/
// control-compare.ts). Web-standard only, so the Worker's fetch-only prober can use it too.
import { compareWithControl, toControlView } from '../../core/health/control-compare.ts';
import { bodyText } from '../../core/health/integrity-check.ts';
import type { Evidence } from '../../core/health/observation.ts';
import type { HttpResponse } from '../web/http-call.ts';

/** An uncensored control fetch of the same URL; undefined: none this time. */
export type ControlFetch = (
  url: string,
  signal: AbortSignal,
) => Promise<{ status: number; headers: Iterable<[string, string]>; body: string } | undefined>;

/** What the control says about the probe's answer: control-match, control-differs (points blocked), or control-failed. */
export async function controlEvidence(
  control: ControlFetch,
  url: string,
  response: HttpResponse,
  signal: AbortSignal,
): Promise<Evidence[]> {
  let seen: Awaited<ReturnType<ControlFetch>>;
  try {
    seen = await control(url, signal);
  } catch (e) {
    return [
      {
        layer: 'control',
        code: 'control-failed',
        message: `the control fetch of ${url} failed (${e instanceof Error ? e.message : String(e)})`,
        points: 'healthy',
      },
    ];
  }
  if (seen === undefined) return [];
  const c = compareWithControl(
    toControlView({ status: response.status, headers: response.headers, body: bodyText(response.body) }),
    toControlView(seen),
  );
  const facts = {
    statusMatch: c.statusMatch,
    bodyLengthRatio: Math.round(c.bodyLengthRatio * 100) / 100,
    titleMatch: c.titleMatch,
    headersMatch: c.headersMatch,
    controlStatus: seen.status,
    status: response.status,
  };
  if (c.consistent)
    return [{ layer: 'control', code: 'control-match', message: `${url} answers as the control fetch does`, points: 'healthy', facts }];
  return [
    {
      layer: 'control',
      code: 'control-differs',
      message: `${url} answers unlike the uncensored control fetch (status ${response.status} vs ${seen.status}, body length ratio ${facts.bodyLengthRatio}, title ${c.titleMatch ? 'same' : 'differs'}, headers ${c.headersMatch ? 'same' : 'differ'})`,
      points: 'blocked',
      facts,
    },
  ];
}
