// OONI-style comparison of what the probe got with what an uncensored control fetch got (the idea
// of web_connectivity's HTTP analysis): the same status, bodies of similar length (the shorter over
// the longer above 0.7), the control title's longer words in the probe's title, and the same
// uncommon header names. A probe that matches the control saw the real page; one that differs on
// status and on body, title or headers saw something else on the way. Pure.
import { titleOf } from './content-analysis.ts';

export interface ControlView {
  status: number;
  /** Header names (any case). */
  headerNames: readonly string[];
  bodyLength: number;
  /** The page's <title> ('' for non-HTML). */
  title: string;
}

export interface ControlComparison {
  statusMatch: boolean;
  bodyLengthRatio: number;
  bodyLengthMatch: boolean;
  titleMatch: boolean;
  headersMatch: boolean;
  /** The probe saw what the control saw. */
  consistent: boolean;
}

/** Above this, two bodies count as the same length. */
export const BODY_LENGTH_RATIO = 0.7;
/** Title words shorter than this are too common to compare. */
export const TITLE_WORD_MIN = 5;

/** Headers every server sends or that vary between requests: not compared. */
const COMMON_HEADERS: ReadonlySet<string> = new Set([
  'date',
  'content-type',
  'content-length',
  'server',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'cache-control',
  'expires',
  'last-modified',
  'etag',
  'age',
  'vary',
  'accept-ranges',
  'content-encoding',
  'set-cookie',
  'via',
  'x-cache',
  'x-served-by',
]);

export function toControlView(response: { status: number; headers: Iterable<[string, string]>; body: string }): ControlView {
  return {
    status: response.status,
    headerNames: [...response.headers].map(([k]) => k),
    bodyLength: response.body.length,
    title: titleOf(response.body),
  };
}

export function compareWithControl(probe: ControlView, control: ControlView): ControlComparison {
  const statusMatch = probe.status === control.status;
  const longer = Math.max(probe.bodyLength, control.bodyLength);
  const bodyLengthRatio = longer === 0 ? 1 : Math.min(probe.bodyLength, control.bodyLength) / longer;
  const bodyLengthMatch = bodyLengthRatio > BODY_LENGTH_RATIO;
  const words = control.title.split(/\s+/).filter((w) => [...w].length >= TITLE_WORD_MIN);
  // Only evidence of sameness when there is something to compare (no words, no uncommon headers: no match).
  const titleMatch = words.length > 0 && words.every((w) => probe.title.includes(w));
  const uncommon = (names: readonly string[]): Set<string> =>
    new Set(names.map((n) => n.toLowerCase()).filter((n) => !COMMON_HEADERS.has(n)));
  const a = uncommon(probe.headerNames);
  const b = uncommon(control.headerNames);
  const headersMatch = b.size > 0 && [...b].every((n) => a.has(n));
  // As in web_connectivity: the same status with a body of similar length, or a matching title or
  // headers, is the same page; a different status is not (unless everything else agrees).
  const consistent = statusMatch ? bodyLengthMatch || titleMatch || headersMatch : bodyLengthMatch && titleMatch && headersMatch;
  return { statusMatch, bodyLengthRatio, bodyLengthMatch, titleMatch, headersMatch, consistent };
}
