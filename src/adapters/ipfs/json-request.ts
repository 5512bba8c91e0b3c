// JSON over HTTP for the IPFS service APIs (Pinning Service API, Cloudflare DNS API), made with
// the one HTTP helper (deadline over the body, size limit, abort): errors name the service and
// the call, never the token.
import { isRecord } from '../../core/is-record.ts';
import { FetchError } from '../../ports/fetch.ts';
import { IpfsServiceError, type IpfsProblem } from '../../ports/ipfs.ts';
import { createHttpCall, type HttpResponse } from '../web/http-call.ts';

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
  const { method = 'GET', body, headers = {}, timeoutMs, maxBytes, signal, fetch } = options;
  const where = `${method} ${new URL(url).pathname}`;
  let response: HttpResponse;
  try {
    response = await createHttpCall(fetch === undefined ? {} : { fetch })(url, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs,
      maxBytes,
      signal,
    });
  } catch (e) {
    if (e instanceof FetchError) throw new IpfsServiceError(service, toIpfsProblem(e), `${where}: ${e.detail}`);
    throw e;
  }
  const { status } = response;
  const text = new TextDecoder().decode(response.body);
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

function toIpfsProblem(e: FetchError): IpfsProblem {
  if (e.problem === 'timeout' || e.problem === 'too-large') return e.problem;
  return e.problem === 'redirect' ? 'http-status' : 'unreachable';
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
