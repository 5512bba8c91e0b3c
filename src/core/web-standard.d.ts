// The few Web-standard globals that core and ports may use, declared for tsconfig.core.json only
// (which has no DOM, Node or Workers types, so core cannot call fetch, read the clock's timers,
// touch the file system or the environment). Every runtime Ferry targets provides these.

declare class URL {
  constructor(url: string, base?: string | URL);
  readonly href: string;
  readonly origin: string;
  readonly protocol: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  toString(): string;
}

declare interface AbortSignal {
  readonly aborted: boolean;
}

declare interface Headers {
  get(name: string): string | null;
}
