// What the ingest guard saw at the origin, as evidence for the origin's probe result: the origin
// has no signature, so a feed whose id changed or old posts whose content changed (held back for a
// maintainer) are the signs it was taken over. A compromised origin is never the canonical link and
// is reported to the maintainers. Pure.
import type { Evidence } from './observation.ts';

export interface GuardReport {
  /** The feed's id changed since the last ingest (another blog answers at the origin's address). */
  feedIdChanged?: { from: string; to: string };
  /** Posts held back for a maintainer because their content changed or carried active content. */
  heldBack?: number;
  /** Active content (scripts, iframes, event handlers...) the sanitizer removed in the last ingest. */
  activeContentRemoved?: number;
}

export function guardEvidence(report: GuardReport): Evidence[] {
  const out: Evidence[] = [];
  if (report.feedIdChanged !== undefined) {
    out.push({
      layer: 'origin',
      code: 'origin-feed-id-changed',
      message: `the origin's feed id changed from ${report.feedIdChanged.from} to ${report.feedIdChanged.to}`,
      points: 'compromised',
      facts: { from: report.feedIdChanged.from, to: report.feedIdChanged.to },
    });
  }
  if ((report.heldBack ?? 0) > 0) {
    out.push({
      layer: 'origin',
      code: 'origin-posts-held-back',
      message: `${report.heldBack} post(s) from the origin are held back for a maintainer (content changed or carried active content)`,
      points: 'compromised',
      facts: { heldBack: report.heldBack ?? 0 },
    });
  }
  if ((report.activeContentRemoved ?? 0) > 0) {
    out.push({
      layer: 'origin',
      code: 'origin-active-content',
      message: `the last ingest removed active content from ${report.activeContentRemoved} post(s)`,
      points: 'degraded',
      facts: { activeContentRemoved: report.activeContentRemoved ?? 0 },
    });
  }
  return out;
}
