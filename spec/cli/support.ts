/** Runs the CLI as a child process against the suite's S3 server, and a throttling proxy to slow transfers down. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { server } from '../support/server';

export const ROOT = resolve(__dirname, '..', '..');
export const MAIN = join(ROOT, 'lib', 'cli', 'main.ts');
/** `--import tsx`, resolved from here so the child may run in any directory. */
export const TSX = pathToFileURL(require.resolve('tsx')).href;

/** One line of `--json` output. */
export type JsonLine = { readonly kind: string } & Readonly<Record<string, unknown>>;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** stdout as bytes (for `cp s3://... -`). */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
  /** stdout as NDJSON (parsed when read: every line must parse). */
  readonly json: JsonLine[];
}

export interface CliOptions {
  readonly stdin?: string | Buffer;
  readonly cwd?: string;
  /** Added to (or, when undefined, removed from) the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The environment of the child: the suite's server through the standard AWS variables, nothing else of AWS. */
export function cliEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const s = server();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  Object.assign(env, {
    AWS_ENDPOINT_URL: s.endpoint,
    AWS_ACCESS_KEY_ID: s.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s.secretAccessKey,
    AWS_REGION: s.region,
    // Never ask an instance-metadata service (off this machine) for credentials or a region.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/rx-s3-spec-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/rx-s3-spec-credentials',
  });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A running CLI: its process, its end, and a way to wait for a given `--json` line. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  /** Resolves with the first JSON line on stdout that matches (rejects if the process ends first). */
  waitForJson(match: (line: JsonLine) => boolean): Promise<JsonLine>;
}

export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdoutChunks: Buffer[] = [];
  let stderr = '';
  const waiters: Array<{ match: (line: JsonLine) => boolean; resolve: (line: JsonLine) => void; reject: (e: Error) => void }> = [];
  const seen: JsonLine[] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutChunks.push(chunk);
    pending += chunk.toString('latin1');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!line.startsWith('{')) continue;
      let parsed: JsonLine;
      try {
        parsed = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as JsonLine;
      } catch {
        continue; // not --json output (e.g. an object's bytes on stdout)
      }
      seen.push(parsed);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(parsed)) waiter.resolve(parsed);
        else waiters.push(waiter);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`the CLI ended (code ${code}) before the expected line; stderr: ${stderr}`));
      const stdoutBytes = Buffer.concat(stdoutChunks);
      const stdout = stdoutBytes.toString('utf8');
      resolvePromise({
        code,
        signal,
        stdout,
        stdoutBytes,
        stderr,
        get json() {
          return parseJson(stdout);
        },
      });
    });
  });
  return {
    child,
    done,
    waitForJson: (match) =>
      new Promise<JsonLine>((resolvePromise, reject) => {
        const found = seen.find(match);
        if (found !== undefined) resolvePromise(found);
        else if (child.exitCode !== null) reject(new Error('the CLI already ended'));
        else waiters.push({ match, resolve: resolvePromise, reject });
      }),
  };
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

function parseJson(stdout: string): JsonLine[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonLine);
}

/** Per-direction bandwidth limit: each chunk leaves once its time on the "wire" has passed (idle time is not saved up). */
class Throttle extends Transform {
  private due = 0;

  constructor(private readonly bytesPerSecond: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const now = Date.now();
    this.due = Math.max(this.due, now) + (chunk.length / this.bytesPerSecond) * 1000;
    const wait = this.due - now;
    if (wait >= 1) setTimeout(() => callback(null, chunk), wait);
    else callback(null, chunk);
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of the suite's server that limits each connection to `bytesPerSecond` in
 * each direction, so a transfer lasts long enough to be interrupted half-way.
 */
export async function startThrottlingProxy(bytesPerSecond: number): Promise<{ readonly endpoint: string; close(): Promise<void> }> {
  const target = new URL(server().endpoint);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(new Throttle(bytesPerSecond)).pipe(upstream);
    upstream.pipe(new Throttle(bytesPerSecond)).pipe(client);
  });
  await new Promise<void>((resolvePromise) => proxy.listen(0, '127.0.0.1', resolvePromise));
  const { port } = proxy.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolvePromise());
      }),
  };
}
