// IPFS pinners and pointers as data (ferry.config.json "ipfs.pinners", "ipfs.pointers"): one entry
// per kind, the fields it takes (kinds.ts derives the typed config and validates it); each kind's
// factory is in src/node/ipfs-services.ts, checked by the compiler against these tables.
import { defineKinds, type KindConfig } from './kinds.ts';

/** Who keeps each new root available before any pointer moves to it. */
export const PINNER_KINDS = defineKinds({
  kubo: {
    url: { type: 'string', required: true, example: '"http://127.0.0.1:5001"' },
  },
  'pinning-service': {
    endpoint: { type: 'string', required: true, example: '"https://api.pinata.cloud/psa"' },
    tokenEnv: { type: 'env', required: true, example: '"PINNING_TOKEN"' },
  },
  /** A service that imports a whole CAR through the S3 API and pins its root (e.g. Filebase). */
  's3-car': {
    endpoint: { type: 'string', required: true, example: '"https://s3.filebase.com"' },
    bucket: { type: 'string', required: true, example: '"blog-ipfs"' },
    region: { type: 'string', example: '"us-east-1"' },
    accessKeyIdEnv: { type: 'env', required: true, example: '"FILEBASE_KEY"' },
    secretAccessKeyEnv: { type: 'env', required: true, example: '"FILEBASE_SECRET"' },
  },
});

/** Names that follow the newest verified root. */
export const POINTER_KINDS = defineKinds({
  ipns: {
    url: { type: 'string', required: true, example: '"http://127.0.0.1:5001"' },
    key: { type: 'string', example: '"self"' },
  },
  'dnslink-cloudflare': {
    zoneId: { type: 'string', required: true, example: '"023e105f4ecef8ad9ca31a8372d0c353"' },
    recordName: { type: 'string', required: true, example: '"_dnslink.blog.example.org"' },
    tokenEnv: { type: 'env', required: true, example: '"CLOUDFLARE_DNS_TOKEN"' },
  },
});

export type PinnerKind = keyof typeof PINNER_KINDS;
export type PointerKind = keyof typeof POINTER_KINDS;
export type PinnerConfig<K extends PinnerKind = PinnerKind> = KindConfig<typeof PINNER_KINDS, K>;
export type PointerConfig<K extends PointerKind = PointerKind> = KindConfig<typeof POINTER_KINDS, K>;
