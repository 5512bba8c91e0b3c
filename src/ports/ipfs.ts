// What publishing a snapshot to IPFS needs from the world: somewhere to keep blocks, services
// that pin a root, and pointers (IPNS, DNSLink) that name the current root. Adapters live in
// src/adapters/ipfs; the pointer guard moves pointers only after pins and gateways confirm.
import type { CID } from 'multiformats/cid';

/** Read side of a block store: what the trustless gateway and the CAR writer need. */
export interface BlockGetter {
  /** The block's bytes, or undefined when the store does not hold it. */
  get(cid: CID): Promise<Uint8Array | undefined>;
  has(cid: CID): Promise<boolean>;
}

/** A block store the importer writes into. */
export interface BlockStore extends BlockGetter {
  /** Stores the block unless it is already there; true when it was newly written. */
  put(cid: CID, bytes: Uint8Array): Promise<boolean>;
}

/** A CAR that can be read more than once (one read per upload attempt). */
export type CarSource = () => AsyncIterable<Uint8Array>;

export interface PinRequest {
  root: CID;
  /** The CAR of the whole DAG under root, for services that take the blocks directly. */
  car: CarSource;
  /** Human-readable pin name (shown in the service's pin list). */
  name: string;
  signal?: AbortSignal;
}

/** Proof that a pin service holds the whole DAG under `cid`. */
export interface PinReceipt {
  pinner: string;
  cid: string;
  /** Service-specific detail: a request id, the pin type. */
  detail: string;
}

/** A place that keeps a root available: a Kubo node, a Pinning Service API endpoint. */
export interface Pinner {
  readonly name: string;
  /** Resolves only once the service confirms the pin; throws (naming the service) otherwise. */
  pin(request: PinRequest): Promise<PinReceipt>;
}

export interface PointerMove {
  pointer: string;
  /** What the pointer now says, e.g. `/ipfs/bafy...` or `dnslink=/ipfs/bafy...`. */
  value: string;
}

/** A name that points at the current root: IPNS, a DNSLink TXT record. */
export interface Pointer {
  readonly name: string;
  point(root: CID, options?: { signal?: AbortSignal }): Promise<PointerMove>;
}

export type IpfsProblem = 'unreachable' | 'timeout' | 'too-large' | 'http-status' | 'bad-response' | 'not-pinned' | 'integrity' | 'refused';

/** Any failure of an IPFS service, naming the service and the problem. */
export class IpfsServiceError extends Error {
  override name = 'IpfsServiceError';
  constructor(
    readonly service: string,
    readonly problem: IpfsProblem,
    detail: string,
  ) {
    super(`${service}: ${detail}`);
  }
}
