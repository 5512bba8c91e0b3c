// SigV4 headers for one S3 request (any S3-compatible service), shared by the S3 publisher and
// the CAR-upload pinner: a signed payload hash (S3 requires it for a body), Content-MD5 when a
// body is sent, and the Authorization aws4fetch computes.
import { createHash } from 'node:crypto';
import { AwsV4Signer } from 'aws4fetch';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3SignInput {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  credentials: S3Credentials;
  region: string;
  now: Date;
}

export async function signS3Request({ method, url, headers = {}, body, credentials, region, now }: S3SignInput): Promise<Headers> {
  const all: Record<string, string> = {
    ...headers,
    'x-amz-content-sha256': createHash('sha256')
      .update(body ?? new Uint8Array(0))
      .digest('hex'),
  };
  if (body !== undefined) all['content-md5'] = createHash('md5').update(body).digest('base64');
  const signed = await new AwsV4Signer({
    method,
    url,
    headers: all,
    ...credentials,
    service: 's3',
    region,
    datetime: now.toISOString().replace(/[:-]|\.\d{3}/g, ''),
  }).sign();
  return signed.headers;
}
