// A pinner for services that take a whole CAR through the S3 API and pin its root, as Filebase
// does: PutObject of the CAR with `x-amz-meta-import: car`, then HeadObject answers the pinned
// root in `x-amz-meta-cid`. The root must be exactly ours, or the pin does not count.
import { signS3Request } from '../publishers/s3-sign.ts';
import { IpfsServiceError, type Pinner, type PinReceipt } from '../../ports/ipfs.ts';
import { collectCapped, TooLargeError } from '../web/read-capped.ts';
import { createHttpCall, type HttpCall } from '../web/http-call.ts';

export interface S3CarPinnerOptions {
  /** Name in messages and reports. */
  name: string;
  /** e.g. https://s3.filebase.com */
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyIdEnv: string;
  secretAccessKeyEnv: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Largest CAR uploaded (default 1 GiB) and the deadline per request (default 10 min). */
  maxCarBytes?: number;
  timeoutMs?: number;
  http?: HttpCall;
  now?: () => Date;
}

export function createS3CarPinner(options: S3CarPinnerOptions): Pinner {
  const {
    name,
    bucket,
    region = 'us-east-1',
    env,
    maxCarBytes = 1024 ** 3,
    timeoutMs = 600_000,
    http = createHttpCall(),
    now = () => new Date(),
  } = options;
  const service = `CAR pinning service ${name}`;
  const base = options.endpoint.replace(/\/+$/, '');
  const credentials = (): { accessKeyId: string; secretAccessKey: string } => {
    const accessKeyId = env[options.accessKeyIdEnv];
    const secretAccessKey = env[options.secretAccessKeyEnv];
    if (!accessKeyId || !secretAccessKey) {
      throw new IpfsServiceError(service, 'refused', `set ${options.accessKeyIdEnv} and ${options.secretAccessKeyEnv} in the environment`);
    }
    return { accessKeyId, secretAccessKey };
  };
  const call = async (
    method: 'PUT' | 'HEAD',
    url: string,
    extra: Record<string, string>,
    body: Uint8Array | undefined,
    signal?: AbortSignal,
  ) => {
    const headers = await signS3Request({
      method,
      url,
      headers: extra,
      ...(body === undefined ? {} : { body }),
      credentials: credentials(),
      region,
      now: now(),
    });
    const res = await http(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs,
      maxBytes: 64 * 1024,
      ...(signal === undefined ? {} : { signal }),
    }).catch((e: unknown) => {
      throw new IpfsServiceError(service, 'unreachable', (e as Error).message);
    });
    if (res.status < 200 || res.status > 299) {
      throw new IpfsServiceError(service, 'http-status', `${method} ${url}: HTTP ${res.status}`);
    }
    return res;
  };
  return {
    name,
    async pin({ root, car, name: pinName, signal }): Promise<PinReceipt> {
      let bytes: Uint8Array;
      try {
        bytes = await collectCapped(car(), maxCarBytes);
      } catch (e) {
        if (e instanceof TooLargeError) throw new IpfsServiceError(service, 'too-large', `the CAR is over ${maxCarBytes} bytes`);
        throw e;
      }
      const key = `${pinName.replace(/[^A-Za-z0-9._-]+/g, '-')}-${root.toString()}.car`;
      const url = `${base}/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
      await call('PUT', url, { 'content-type': 'application/vnd.ipld.car', 'x-amz-meta-import': 'car' }, bytes, signal);
      const head = await call('HEAD', url, {}, undefined, signal);
      const pinned = head.headers.get('x-amz-meta-cid');
      if (pinned !== root.toString()) {
        throw new IpfsServiceError(service, 'integrity', `pinned ${pinned ?? 'nothing'} for the CAR of ${root.toString()}`);
      }
      return { pinner: name, cid: root.toString(), detail: `CAR imported as ${bucket}/${key}` };
    },
  };
}
