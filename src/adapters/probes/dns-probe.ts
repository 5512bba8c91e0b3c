// The DNS layer of a probe: the system resolver and DNS-over-HTTPS (RFC 8484 wire format, POST
// application/dns-message) asked for the same name and compared; answers in bogon ranges, in
// Teredo (2001::/32) or matching a known forged answer are flagged; and, when configured, an
// injection probe: a query sent over UDP to an address that runs no resolver, where any answer
// was injected on the path. Every query has a deadline; nothing here throws for what DNS did.
import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import dnsPacket from 'dns-packet';
import { matchDnsFingerprints, type Fingerprint } from '../../core/health/block-fingerprints.ts';
import { classifyAddress } from '../../core/health/ip-ranges.ts';
import type { Evidence } from '../../core/health/observation.ts';
import type { HttpCall } from '../web/http-call.ts';

/** The system resolver's part (node:dns/promises Resolver fits). */
export interface DnsResolver {
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
}

export interface InjectionProbe {
  /** An address that runs no DNS resolver, on the far side of the filter (e.g. inside China). */
  server: string;
  /** Default 53. */
  port?: number;
  /** The country the address is in (upper case), for the evidence. */
  country?: string;
}

export interface DnsProbeOptions {
  resolver?: DnsResolver;
  /** For DNS-over-HTTPS. */
  http: HttpCall;
  /** The DoH endpoint (RFC 8484); undefined: no comparison. */
  dohUrl?: string | undefined;
  timeoutMs: number;
  /** Ranges not flagged (a mirror on a LAN). */
  trustedRanges?: readonly string[];
  fingerprints?: readonly Fingerprint[];
  injection?: InjectionProbe | undefined;
  signal?: AbortSignal | undefined;
}

export interface DnsOutcome {
  evidence: Evidence[];
  /** Addresses to connect to, best first: the system's clean answers, then DoH's. */
  addresses: string[];
  ms: number;
}

class DnsTimeout extends Error {
  override name = 'DnsTimeout';
}

/** Rejects with DnsTimeout after ms, or when the signal aborts. */
function withDeadline<T>(work: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DnsTimeout(`no answer within ${ms} ms`)), ms);
    const onAbort = (): void => reject(new DnsTimeout('cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

function errorCode(e: unknown): string {
  if (e instanceof DnsTimeout) return 'timeout';
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

interface Lookup {
  addresses: string[];
  /** Why it failed, when it found no address at all. */
  error?: string;
}

async function systemLookup(host: string, resolver: DnsResolver, ms: number, signal?: AbortSignal): Promise<Lookup> {
  const [a, aaaa] = await Promise.allSettled([
    withDeadline(resolver.resolve4(host), ms, signal),
    withDeadline(resolver.resolve6(host), ms, signal),
  ]);
  const addresses = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
  if (addresses.length > 0) return { addresses };
  const reason = a.status === 'rejected' ? errorCode(a.reason) : aaaa.status === 'rejected' ? errorCode(aaaa.reason) : 'ENODATA';
  return { addresses, error: reason };
}

function query(host: string, type: 'A' | 'AAAA', id = 0): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name: host }] });
}

function answersOf(packet: dnsPacket.DecodedPacket): string[] {
  return (packet.answers ?? []).flatMap((a) => ((a.type === 'A' || a.type === 'AAAA') && typeof a.data === 'string' ? [a.data] : []));
}

async function dohLookup(host: string, url: string, http: HttpCall, ms: number, signal?: AbortSignal): Promise<Lookup> {
  const one = async (type: 'A' | 'AAAA'): Promise<string[]> => {
    const res = await http(url, {
      method: 'POST',
      headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message' },
      body: new Uint8Array(query(host, type)),
      timeoutMs: ms,
      maxBytes: 65_535,
      signal,
    });
    if (res.status !== 200) throw new Error(`DoH answered HTTP ${res.status}`);
    const packet = dnsPacket.decode(Buffer.from(res.body));
    const rcode = (packet.flags ?? 0) & 0x0f;
    if (rcode === 3) throw Object.assign(new Error('NXDOMAIN'), { code: 'NXDOMAIN' });
    if (rcode !== 0) throw new Error(`DoH answered rcode ${rcode}`);
    return answersOf(packet);
  };
  const [a, aaaa] = await Promise.allSettled([one('A'), one('AAAA')]);
  const addresses = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
  if (addresses.length > 0) return { addresses };
  const reason = a.status === 'rejected' ? errorCode(a.reason) : aaaa.status === 'rejected' ? errorCode(aaaa.reason) : 'ENODATA';
  return { addresses, error: reason };
}

/** Sends one query to an address that runs no resolver; resolves with the answers if anything answered. */
export function injectionQuery(host: string, probe: InjectionProbe, ms: number, signal?: AbortSignal): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    const family = probe.server.includes(':') ? 'udp6' : 'udp4';
    const socket: Socket = createSocket(family);
    const id = Math.floor(Math.random() * 65_535);
    let done = false;
    const finish = (value: string[] | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      resolve(value);
    };
    const onAbort = (): void => finish(undefined);
    const timer = setTimeout(() => finish(undefined), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', () => finish(undefined));
    socket.on('message', (msg) => {
      try {
        finish(answersOf(dnsPacket.decode(msg)));
      } catch {
        finish([]); // something answered, even if not well-formed DNS: still injected
      }
    });
    socket.send(query(host, 'A', id), probe.port ?? 53, probe.server, (e) => {
      if (e) finish(undefined);
    });
  });
}

export async function probeDns(host: string, opts: DnsProbeOptions): Promise<DnsOutcome> {
  const started = Date.now();
  const resolver = opts.resolver ?? defaultResolver(opts.timeoutMs);
  const trusted = opts.trustedRanges ?? [];
  const [system, doh, injected] = await Promise.all([
    systemLookup(host, resolver, opts.timeoutMs, opts.signal),
    opts.dohUrl === undefined
      ? Promise.resolve(undefined)
      : dohLookup(host, opts.dohUrl, opts.http, opts.timeoutMs, opts.signal).catch((e: unknown): Lookup => ({
          addresses: [],
          error: errorCode(e),
        })),
    opts.injection === undefined ? Promise.resolve(undefined) : injectionQuery(host, opts.injection, opts.timeoutMs, opts.signal),
  ]);
  const evidence: Evidence[] = [];
  const facts = {
    system: system.addresses.join(' ') || `(${system.error ?? 'none'})`,
    ...(doh === undefined ? {} : { doh: doh.addresses.join(' ') || `(${doh.error ?? 'none'})` }),
  };

  const flagged = new Set<string>();
  for (const address of system.addresses) {
    const c = classifyAddress(address, trusted);
    if (c.kind === 'bogon' || c.kind === 'teredo') {
      flagged.add(address);
      evidence.push({
        layer: 'dns',
        code: c.kind === 'teredo' ? 'dns-teredo' : 'dns-bogon',
        message:
          c.kind === 'teredo'
            ? `the system resolver answers ${address} for ${host}, in Teredo (${c.range}), where forged answers fall`
            : `the system resolver answers ${address} for ${host}, a ${c.label} address (${c.range}) no public mirror has`,
        points: 'blocked',
        facts: { ...facts, address, range: c.range },
      });
    }
  }
  for (const m of matchDnsFingerprints(opts.fingerprints ?? [], system.addresses)) {
    evidence.push({
      layer: 'dns',
      code: 'dns-fingerprint',
      message: `the system resolver's answer for ${host} is a known forged answer (${m.fingerprint.name})`,
      points: 'blocked',
      confirmed: m.confirmed,
      facts: { ...facts, fingerprint: m.fingerprint.name },
    });
  }
  if (injected !== undefined) {
    evidence.push({
      layer: 'dns',
      code: 'dns-injected',
      message: `${opts.injection?.server ?? ''} runs no resolver, yet a DNS answer for ${host} came back (${injected.join(' ') || 'malformed'}): injected on the path`,
      points: 'blocked',
      confirmed: true,
      facts: {
        ...facts,
        injected: injected.join(' '),
        server: opts.injection?.server ?? '',
        ...(opts.injection?.country ? { country: opts.injection.country } : {}),
      },
    });
  }

  if (system.addresses.length === 0) {
    if (doh !== undefined && doh.addresses.length > 0) {
      evidence.push({
        layer: 'dns',
        code: 'dns-system-failed',
        message: `the system resolver finds no address for ${host} (${system.error ?? 'none'}) while DNS-over-HTTPS does`,
        points: 'blocked',
        facts,
      });
    } else {
      evidence.push({
        layer: 'dns',
        code: 'dns-failed',
        message: `no address for ${host} (system: ${system.error ?? 'none'}${doh === undefined ? '' : `, DoH: ${doh.error ?? 'none'}`})`,
        points: 'unreachable',
        facts,
      });
    }
  } else if (doh !== undefined && doh.addresses.length > 0 && !system.addresses.some((a) => doh.addresses.includes(a))) {
    // Different answers alone are common (CDNs answer by location): a fact, not a verdict.
    evidence.push({
      layer: 'dns',
      code: 'dns-mismatch',
      message: `the system resolver and DNS-over-HTTPS answer differently for ${host}`,
      points: 'healthy',
      facts,
    });
  }
  if (!evidence.some((e) => e.points !== 'healthy')) {
    evidence.push({
      layer: 'dns',
      code: 'dns-ok',
      message: `${host} resolves to ${system.addresses.join(', ')}`,
      points: 'healthy',
      facts,
    });
  }

  const clean = system.addresses.filter((a) => !flagged.has(a));
  const fromDoh = (doh?.addresses ?? []).filter((a) => classifyAddress(a, trusted).kind === 'public' && !clean.includes(a));
  const v4First = (list: string[]): string[] => [...list.filter((a) => !a.includes(':')), ...list.filter((a) => a.includes(':'))];
  return { evidence, addresses: [...v4First(clean), ...v4First(fromDoh)], ms: Date.now() - started };
}

function defaultResolver(timeoutMs: number): DnsResolver {
  return new Resolver({ timeout: timeoutMs, tries: 1 });
}
