// Moves IPFS pointers (IPNS, DNSLink) to a new root only when it is safe to:
//   1. the root is a real CID (never `undefined`, never garbage);
//   2. every configured pinner confirmed the pin;
//   3. the root was fetched back as a CAR (?format=car) from the configured trustless gateways and
//      every block rehashed and the DAG found complete, on at least `minGateways` of them; a gateway
//      that serves a bad block stops the move outright (something is tampering).
// Only then is each pointer moved; each pointer's outcome is reported on its own.
import type { CID } from 'multiformats/cid';
import { IpfsServiceError, type CarSource, type Pinner, type PinReceipt, type Pointer } from '../../ports/ipfs.ts';
import { FetchError, type LimitedFetch } from '../../ports/fetch.ts';
import { createLimitedFetch } from '../web/limited-fetch.ts';
import { DAG_PB_CODE, RAW_CODE, parseCid } from './block-hash.ts';
import { verifyCar } from './car.ts';

export interface GatewayRef {
  name: string;
  /** Base URL of a trustless gateway; the guard fetches `<url>/ipfs/<cid>?format=car`. */
  url: string;
}

export interface PointerGuardOptions {
  pinners: readonly Pinner[];
  gateways: readonly GatewayRef[];
  pointers: readonly Pointer[];
  /** Gateways that must verify the root (default 2). */
  minGateways?: number;
  fetch?: LimitedFetch;
  /** Per-gateway deadline and CAR size limit (defaults 120 s, 2 GiB). */
  gatewayTimeoutMs?: number;
  maxCarBytes?: number;
}

export interface GatewayCheck {
  gateway: string;
  ok: boolean;
  blocks?: number;
  /** 'integrity' when the gateway served data that does not verify (tampered or incomplete). */
  problem?: string;
  error?: string;
}

export interface PointerOutcome {
  pointer: string;
  ok: boolean;
  value?: string;
  error?: string;
}

export interface GuardReport {
  root: string;
  pins: PinReceipt[];
  gateways: GatewayCheck[];
  pointers: PointerOutcome[];
}

export type GuardStage = 'root' | 'pin' | 'gateway';

/** The pointers were not moved; `stage` says which check stopped them. */
export class PointerGuardError extends Error {
  override name = 'PointerGuardError';
  constructor(
    readonly stage: GuardStage,
    message: string,
    readonly report: GuardReport,
  ) {
    super(`pointers not moved (${stage}): ${message}`);
  }
}

export interface GuardedPublish {
  root: CID | string | undefined;
  car: CarSource;
  /** Pin name. */
  name: string;
  signal?: AbortSignal;
}

export interface PointerGuard {
  publish(request: GuardedPublish): Promise<GuardReport>;
}

export function createPointerGuard(options: PointerGuardOptions): PointerGuard {
  const {
    pinners,
    gateways,
    pointers,
    minGateways = 2,
    fetch = createLimitedFetch(),
    gatewayTimeoutMs = 120_000,
    maxCarBytes = 2 * 1024 ** 3,
  } = options;
  return {
    async publish({ root: given, car, name, signal }: GuardedPublish): Promise<GuardReport> {
      const root = parseCid(typeof given === 'string' ? given : given?.toString());
      const report: GuardReport = { root: root?.toString() ?? String(given), pins: [], gateways: [], pointers: [] };
      if (root === undefined || root.version !== 1 || (root.code !== DAG_PB_CODE && root.code !== RAW_CODE)) {
        throw new PointerGuardError('root', `${JSON.stringify(String(given))} is not a CIDv1 UnixFS root`, report);
      }
      if (pinners.length === 0)
        throw new PointerGuardError('pin', 'no pinner is configured: nothing would keep the root available', report);
      if (gateways.length < minGateways) {
        throw new PointerGuardError(
          'gateway',
          `${gateways.length} gateway(s) configured, ${minGateways} needed to verify the root`,
          report,
        );
      }

      const pinResults = await Promise.allSettled(pinners.map((p) => p.pin({ root, car, name, ...(signal ? { signal } : {}) })));
      const pinErrors: string[] = [];
      pinResults.forEach((r, i) => {
        if (r.status === 'fulfilled') report.pins.push(r.value);
        else pinErrors.push(r.reason instanceof Error ? r.reason.message : `${pinners[i]?.name ?? 'pinner'}: ${String(r.reason)}`);
      });
      if (pinErrors.length > 0) throw new PointerGuardError('pin', pinErrors.join('; '), report);

      report.gateways = await Promise.all(
        gateways.map(async (gateway): Promise<GatewayCheck> => {
          const url = `${gateway.url.replace(/\/+$/, '')}/ipfs/${root.toString()}?format=car&dag-scope=all`;
          try {
            const res = await fetch(url, {
              timeoutMs: gatewayTimeoutMs,
              maxBytes: maxCarBytes,
              headers: { accept: 'application/vnd.ipld.car;version=1' },
              ...(signal ? { signal } : {}),
            });
            if (res.status !== 200)
              return { gateway: gateway.name, ok: false, problem: 'http-status', error: `gateway ${gateway.name}: HTTP ${res.status}` };
            const verified = await verifyCar(res.body, root, `gateway ${gateway.name}`);
            return { gateway: gateway.name, ok: true, blocks: verified.blocks };
          } catch (e) {
            if (e instanceof IpfsServiceError) return { gateway: gateway.name, ok: false, problem: e.problem, error: e.message };
            const problem = e instanceof FetchError ? e.problem : 'unreachable';
            return {
              gateway: gateway.name,
              ok: false,
              problem,
              error: `gateway ${gateway.name}: ${e instanceof Error ? e.message : String(e)}`,
            };
          }
        }),
      );
      const tampered = report.gateways.filter((g) => g.problem === 'integrity');
      if (tampered.length > 0) {
        throw new PointerGuardError('gateway', `bad data from ${tampered.map((g) => g.error).join('; ')}`, report);
      }
      const verified = report.gateways.filter((g) => g.ok).length;
      if (verified < minGateways) {
        const problems = report.gateways.filter((g) => !g.ok).map((g) => g.error);
        throw new PointerGuardError(
          'gateway',
          `only ${verified} of ${minGateways} required gateways verified the root (${problems.join('; ')})`,
          report,
        );
      }

      for (const pointer of pointers) {
        try {
          const moved = await pointer.point(root, signal ? { signal } : {});
          report.pointers.push({ pointer: pointer.name, ok: true, value: moved.value });
        } catch (e) {
          report.pointers.push({ pointer: pointer.name, ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      }
      return report;
    },
  };
}
