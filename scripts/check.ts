// The type checks and the type-aware lint in one process, on one set of programs. `tsc -p` for
// each tsconfig and then `eslint .` built the same TypeScript programs twice (about 36 s of CPU of
// 112 on this 2-core machine). Here each tsconfig is read and checked once, its errors printed as
// tsc prints them, and ESLint is given those programs (typescript-eslint's parserOptions.programs)
// instead of building its own; then `prettier --check .`. Exit 1 if any of them found something.
//   npx tsx scripts/check.ts            both (npm run check; npm test runs it beside the suites)
//   npx tsx scripts/check.ts --types    the type checks (npm run typecheck)
//   npx tsx scripts/check.ts --lint     ESLint and Prettier (npm run lint)
// Editors and `npx eslint FILE` use eslint.config.js as it is (its own programs, same tsconfigs).
import { ESLint } from 'eslint';
import ts from 'typescript';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Every tsconfig the type checks cover. */
const CONFIGS = ['tsconfig.core.json', 'tsconfig.sw.json', 'tsconfig.json', 'tsconfig.worker.json'];
/** Those ESLint lints with, in eslint.config.js's order: a file in several is linted with the first. */
const LINTED = ['tsconfig.json', 'tsconfig.worker.json', 'tsconfig.sw.json'];

const host: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

/**
 * Parsed source files, shared by the programs: the core, the lib files and @types/node are in
 * several. A parse depends on the file's text and the language version only (every tsconfig here
 * has the base's target), so one parse serves every program that includes the file.
 */
const parsed = new Map<string, ts.SourceFile>();

function program(config: string): { program: ts.Program; errors: readonly ts.Diagnostic[] } {
  const read = ts.readConfigFile(`${root}${config}`, (p) => ts.sys.readFile(p));
  if (read.error !== undefined) return { program: ts.createProgram([], {}), errors: [read.error] };
  const options = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, `${root}${config}`);
  const compilerHost = ts.createCompilerHost(options.options);
  const getSourceFile = compilerHost.getSourceFile.bind(compilerHost);
  compilerHost.getSourceFile = (fileName, version, onError, create) => {
    const key = `${typeof version === 'object' ? version.languageVersion : version}\0${fileName}`;
    let file = create === true ? undefined : parsed.get(key);
    if (file === undefined) {
      file = getSourceFile(fileName, version, onError, create);
      if (file !== undefined) parsed.set(key, file);
    }
    return file;
  };
  const created = ts.createProgram({
    rootNames: options.fileNames,
    options: options.options,
    projectReferences: options.projectReferences,
    host: compilerHost,
  });
  return { program: created, errors: [...options.errors, ...ts.getPreEmitDiagnostics(created)] };
}

const types = !process.argv.includes('--lint');
const lint = !process.argv.includes('--types');

// The Workers runtime types tsconfig.worker.json needs, generated (not committed).
await import('./worker-types.ts');

let failed = false;
const made = new Map<string, ts.Program>();
for (const config of CONFIGS) {
  if (!types && !LINTED.includes(config)) continue;
  const started = performance.now();
  const { program: checked, errors: all } = program(config);
  made.set(config, checked);
  // --lint alone: the programs are made for ESLint; their type errors are npm run typecheck's.
  const errors = types ? all : [];
  if (errors.length > 0) {
    failed = true;
    process.stdout.write(ts.formatDiagnosticsWithColorAndContext(errors, host));
  }
  if (types) process.stdout.write(`tsc -p ${config}: ${errors.length} error(s) (${seconds(started)})\n`);
}
if (lint) await runLint(LINTED.map((config) => made.get(config)).filter((p) => p !== undefined));
process.exitCode = failed ? 1 : 0;

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}

async function runLint(programs: ts.Program[]): Promise<void> {
  const lintStarted = performance.now();
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { project: null, programs } } },
  });
  const results = await eslint.lintFiles(['.']);
  const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
  if (problems > 0) {
    failed = true;
    process.stdout.write(await (await eslint.loadFormatter('stylish')).format(results));
  }
  process.stdout.write(`eslint: ${problems} problem(s) in ${results.length} files (${seconds(lintStarted)})\n`);

  const prettier = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL('../node_modules/prettier/bin/prettier.cjs', import.meta.url)), '--check', '.'],
      { cwd: root, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, output: stdout + stderr }),
    );
  });
  if (prettier.code !== 0) {
    failed = true;
    process.stdout.write(prettier.output);
  }
  process.stdout.write(`prettier --check: ${prettier.code === 0 ? 'formatted' : 'not formatted (npm run format)'}\n`);
}
