// `git` target: a branch that GitHub Pages or GitLab Pages serves (gh-pages, pages). The branch is
// fetched (shallow) into a work folder in Ferry's data folder, the files are synced there like a
// directory target, and one commit with a fixed author, the manifest's time and a message naming
// the manifest version is pushed. A push is atomic, so readers see the old tree or the new one.
// An unchanged snapshot makes no commit. The work folder's stat cache lives in its .git folder, so
// files git left alone are not hashed again. Real git through execFile, every call with a deadline.
// An HTTPS token (from the environment variable the config names) reaches git only through
// GIT_CONFIG_* environment variables: never in argv, .git/config, messages or logs.
import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { toBase64, utf8ToBytes } from '../../core/bytes.ts';
import { PublishError, type PublishOptions, type PublishResult, type PublishTarget } from '../../ports/publisher.ts';
import { readFolderManifest, syncFolder } from './directory-publisher.ts';
import { checkSnapshot, type CheckedSnapshot } from './snapshot-files.ts';
import { createFileStatCache } from './folder-stat-cache.ts';

export interface GitTargetConfig {
  id: string;
  /** https://github.com/org/blog.git, git@host:org/blog.git, or file:///srv/blog.git */
  remote: string;
  /** e.g. gh-pages */
  branch: string;
  /** Work folder, inside Ferry's data folder (e.g. data/publish/<id>). Ferry owns it. */
  workDir: string;
  /** For HTTPS remotes: the environment variable holding a token allowed to push. */
  tokenEnv?: string;
  /** Add an empty .nojekyll so GitHub Pages serves files as they are (default true). */
  nojekyll?: boolean;
  /** Snapshot-style paths on the branch that are not Ferry's and stay (/CNAME). */
  keep?: readonly string[];
  authorName?: string;
  authorEmail?: string;
  /** Deadline per git command. */
  timeoutMs?: number;
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

export type GitRunner = (
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env: Record<string, string> },
) => Promise<GitResult>;

export class GitCommandError extends Error {
  override name = 'GitCommandError';
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** git through execFile: a deadline per call, a capped output, no terminal prompts. */
export const execGit: GitRunner = (args, { cwd, timeoutMs, env }) =>
  new Promise((resolvePromise, reject) => {
    execFile(
      'git',
      [...args],
      { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024, env: { ...process.env, ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolvePromise({ stdout, stderr });
          return;
        }
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const why =
          e.code === 'ENOENT'
            ? 'git is not installed (apt-get install git)'
            : e.killed
              ? `no answer within ${timeoutMs} ms`
              : `exited with ${String(e.code)}`;
        reject(new GitCommandError(args, stderr, `git ${args[0] ?? ''} ${why}`));
      },
    );
  });

export interface GitPublisherDeps {
  git?: GitRunner;
  env?: Readonly<Record<string, string | undefined>>;
}

export function createGitPublisher(config: GitTargetConfig, deps: GitPublisherDeps = {}): PublishTarget {
  const git = deps.git ?? execGit;
  const env = deps.env ?? process.env;
  const work = resolve(config.workDir);
  const timeoutMs = config.timeoutMs ?? 120_000;
  const branch = config.branch;
  const nojekyll = config.nojekyll ?? true;
  // One for the target's life: it keeps what it last saved in memory.
  const statCache = createFileStatCache(join(work, '.git', 'ferry-folder-stat.json'));

  const secret = (): string | undefined => {
    if (config.tokenEnv === undefined) return undefined;
    const v = env[config.tokenEnv]?.trim();
    if (v === undefined || v === '') {
      throw new PublishError(
        config.id,
        'config',
        `environment variable ${config.tokenEnv} is not set; export a token that may push to ${config.remote}`,
      );
    }
    return v;
  };

  const run = async (op: 'read' | 'commit' | 'push' | 'list', args: string[], extraEnv: Record<string, string> = {}): Promise<string> => {
    const token = op === 'push' || op === 'list' || op === 'read' ? secret() : undefined;
    const gitEnv: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extraEnv };
    if (token !== undefined) {
      gitEnv.GIT_CONFIG_COUNT = '1';
      gitEnv.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      gitEnv.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${toBase64(utf8ToBytes(`x-access-token:${token}`))}`;
    }
    try {
      return (await git(args, { cwd: work, timeoutMs, env: gitEnv })).stdout;
    } catch (e) {
      const stderr = e instanceof GitCommandError ? e.stderr : '';
      let text = `${(e as Error).message}${stderr.trim() === '' ? '' : `: ${stderr.trim().replace(/\s+/g, ' ').slice(0, 600)}`}`;
      if (token !== undefined) text = text.split(token).join('***');
      const fix =
        op === 'push'
          ? `check that the remote accepts pushes to ${branch} (token, branch protection, hooks); the branch still holds the previous snapshot`
          : op === 'commit'
            ? `check the work folder ${work}`
            : `check the remote URL ${config.remote} and the network`;
      throw new PublishError(config.id, op, `${text}; ${fix}`);
    }
  };

  /** Bring the work folder to the branch's state on the remote. True if the branch exists there. */
  const prepare = async (): Promise<boolean> => {
    await mkdir(work, { recursive: true });
    const isRepo = await stat(join(work, '.git')).then(
      () => true,
      () => false,
    );
    if (!isRepo) await run('read', ['init', '-q']);
    await run('read', ['config', 'remote.origin.url', config.remote]);
    const heads = await run('list', ['ls-remote', '--heads', 'origin', `refs/heads/${branch}`]);
    if (heads.trim() !== '') {
      await run('read', ['fetch', '-q', '--depth=1', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
      await run('read', ['checkout', '-q', '-f', '-B', branch, `refs/remotes/origin/${branch}`]);
      await run('read', ['clean', '-q', '-f', '-d', '-x']);
      return true;
    }
    // A new branch: start it with no parent, whatever this folder held before.
    await run('read', ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    await run('read', ['update-ref', '-d', `refs/heads/${branch}`]);
    await run('read', ['read-tree', '--empty']);
    await run('read', ['clean', '-q', '-f', '-d', '-x']);
    return false;
  };

  return {
    id: config.id,
    kind: 'git',
    async current() {
      await prepare();
      return readFolderManifest(config.id, work);
    },
    async publish(files, options = {}) {
      const checked = await checkSnapshot(config.id, files, options.signal);
      // Someone may push to the branch between our fetch and our push (a maintainer adding a
      // CNAME): the push is refused as not a fast-forward, and one more round from a fresh fetch
      // puts the snapshot on top of their commit. Never a force push.
      for (let attempt = 1; ; attempt++) {
        try {
          return await publishOnce(checked, options);
        } catch (e) {
          if (attempt >= PUSH_ATTEMPTS || !(e instanceof PublishError) || e.operation !== 'push' || !NOT_FAST_FORWARD.test(e.message))
            throw e;
          options.onProgress?.(
            `${branch} moved on the remote while publishing; fetching it again (attempt ${attempt + 1} of ${PUSH_ATTEMPTS})`,
          );
        }
      }
    },
  };

  async function publishOnce(checked: CheckedSnapshot, options: PublishOptions): Promise<PublishResult> {
    options.onProgress?.(`fetching ${branch}`);
    await prepare();
    const keep = [...(config.keep ?? [])];
    if (nojekyll) {
      keep.push('/.nojekyll');
      await writeFile(join(work, '.nojekyll'), '');
    }
    const result = await syncFolder({ targetId: config.id, root: work, checked, keep, skipTop: ['.git'], options, statCache });
    await run('commit', ['add', '-A']);
    const status = await run('commit', ['status', '--porcelain']);
    if (status.trim() === '') {
      options.onProgress?.('nothing changed: no commit');
      return result;
    }
    const when = checked.manifest.created;
    const name = config.authorName ?? 'Ferry';
    const email = config.authorEmail ?? 'ferry@localhost';
    await run(
      'commit',
      [
        '-c',
        'commit.gpgsign=false',
        'commit',
        '-q',
        '--no-verify',
        '-m',
        `Publish snapshot version ${checked.manifest.version}`,
        '-m',
        `manifest.json sha256 ${checked.sha256.get('/manifest.json') ?? ''}`,
      ],
      {
        GIT_AUTHOR_NAME: name,
        GIT_AUTHOR_EMAIL: email,
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_NAME: name,
        GIT_COMMITTER_EMAIL: email,
        GIT_COMMITTER_DATE: when,
      },
    );
    options.signal?.throwIfAborted();
    options.onProgress?.(`pushing version ${checked.manifest.version} to ${branch}`);
    await run('push', ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
    return result;
  }
}

const PUSH_ATTEMPTS = 3;
/** How git reports a push refused because the branch moved on ("[rejected] ... (fetch first)"). */
const NOT_FAST_FORWARD = /\[rejected\][^\n]*\((fetch first|non-fast-forward)\)/;
