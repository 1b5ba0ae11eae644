/** The parent side of the harness: run jobs as child processes, summarise, print tables. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobReport } from './job';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

const running = new Set<ChildProcess>();

/** Kills the jobs still running (on Ctrl-C), each by its own process. */
export function killJobs(): void {
  for (const child of running) child.kill('SIGTERM');
}

/** Where the jobs run from: `bench/jobs` and `bench/lib` as plain JavaScript, at the same depth (git-ignored). */
const BUILT = path.join(__dirname, '..', '..', '.bench-build');
let built = false;

/**
 * Transpiles `bench/jobs/*.ts` and `bench/lib/*.ts` to CommonJS in {@link BUILT} (once per run; types are the
 * typecheck's business). A job then runs as its users' programs do, as plain `node job.js`: through tsx, every
 * Node job carried tsx's loader thread (~35 MiB of RSS, and a round trip to that thread on each module loaded)
 * on top of its own work, which no user's process has.
 */
function buildJobs(): void {
  if (built) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  for (const dir of ['jobs', 'lib']) {
    const from = path.join(__dirname, '..', dir);
    const to = path.join(BUILT, dir);
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      if (!name.endsWith('.ts')) continue;
      const out = ts.transpileModule(readFileSync(path.join(from, name), 'utf8'), {
        fileName: name,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
      });
      writeFileSync(path.join(to, name.replace(/\.ts$/, '.js')), out.outputText);
    }
  }
  built = true;
}

/**
 * Runs `bench/jobs/<job>.ts` (transpiled: {@link buildJobs}) with `args` in a fresh Node process and returns the
 * JSON line it printed. `env` is added to the parent's environment (credentials go there).
 */
export function runJob(job: string, args: readonly string[], env: Record<string, string> = {}): Promise<JobReport> {
  buildJobs();
  return runProcess(job, process.execPath, [path.join(BUILT, 'jobs', `${job}.js`), ...args], env);
}

/**
 * Runs any job process (Node, Python, a wrapper around a CLI) and returns the JSON line it printed last on
 * stdout. Its stderr goes to ours; a non-zero exit or no JSON line rejects, naming the job.
 */
export function runProcess(job: string, command: string, args: readonly string[], env: Record<string, string> = {}): Promise<JobReport> {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  running.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      running.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`job ${job} failed (code ${code}, signal ${signal})`));
      resolve(JSON.parse(last) as JobReport);
    });
  });
}

/** The `p`-th percentile (0-100) by the nearest-rank method. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Decimal megabytes per second, as S3 tools report. */
export function mbPerSecond(bytes: number, seconds: number): number {
  return bytes / 1e6 / seconds;
}

/** CPU seconds spent per GiB moved. */
export function cpuPerGiB(cpuSeconds: number, bytes: number): number {
  return cpuSeconds / (bytes / GiB);
}

/** Formats a number with `digits` decimals; NaN shows as a dash. */
export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** Prints rows under a header, first column left-aligned, the others right-aligned. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
