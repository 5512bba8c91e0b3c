// JSON over HTTP for the IPFS service APIs (Pinning Service API, Cloudflare DNS API): any method,
// a deadline covering the body, a size limit, and errors that name the service, never the token.
import { IpfsServiceError } from '../../ports/ipfs.ts';
import { TooLargeError, readCapped } from '../web/read-capped.ts';

export interface JsonRequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

export interface JsonResponse {
  status: number;
  json: unknown;
}

/** Sends the request and parses a JSON answer; throws IpfsServiceError unless the status is 2xx. */
export async function requestJson(service: string, url: string, options: JsonRequestOptions): Promise<JsonResponse> {
  const { method = 'GET', body, headers = {}, timeoutMs, maxBytes, signal: outer, fetch = globalThis.fetch } = options;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([deadline, outer]) : deadline;
  const where = `${method} ${new URL(url).pathname}`;
  let text: string;
  let status: number;
  try {
    const response = await fetch(url, {
      method,
      signal,
      redirect: 'error',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    status = response.status;
    text = new TextDecoder().decode(await readCapped(response.body, maxBytes));
  } catch (e) {
    if (e instanceof TooLargeError)
      throw new IpfsServiceError(service, 'too-large', `${where}: answer is over the limit of ${maxBytes} bytes`);
    if (deadline.aborted) throw new IpfsServiceError(service, 'timeout', `${where}: no complete answer within ${timeoutMs} ms`);
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new IpfsServiceError(service, 'unreachable', `${where}: cannot connect (${cause})`);
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new IpfsServiceError(service, 'bad-response', `${where}: HTTP ${status}, answer is not JSON`);
  }
  if (status < 200 || status > 299) {
    throw new IpfsServiceError(service, 'http-status', `${where}: HTTP ${status}${describeError(json)}`);
  }
  return { status, json };
}

function describeError(json: unknown): string {
  if (isRecord(json)) {
    const error = json.error;
    if (isRecord(error) && typeof error.reason === 'string')
      return ` (${error.reason}${typeof error.details === 'string' ? `: ${error.details}` : ''})`;
    if (Array.isArray(json.errors)) {
      const messages = json.errors.flatMap((e) => (isRecord(e) && typeof e.message === 'string' ? [e.message] : []));
      if (messages.length > 0) return ` (${messages.join('; ')})`;
    }
  }
  return '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
