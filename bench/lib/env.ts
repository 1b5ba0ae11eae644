/** Where the benchmarks run: the sink (spawned as a child) or a real endpoint from the environment; temp files. */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Connection settings handed to every job. */
export interface Target {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
  /** Set when the target is our own sink. */
  readonly sink: Sink | undefined;
}

/** The sink's own counters, from `GET /_sink/stats`. */
export interface SinkStats {
  readonly requests: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly cpuSeconds: number;
  readonly maxRSSKiB: number;
}

export interface Sink {
  readonly endpoint: string;
  /** With TLS: the self-signed certificate (PEM) the benchmark's clients are told to trust. */
  readonly caFile: string | undefined;
  /** A plain-http address of the same sink (the endpoint itself without TLS): for the harness's own requests. */
  readonly control: string;
  stats(): Promise<SinkStats>;
  /** A few untimed uploads and downloads, so the first measured job does not pay for the sink's JIT. */
  warmUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A self-signed certificate for 127.0.0.1 (P-256, two days), made with openssl in a fresh temp directory: only the
 * benchmark's clients are told to trust it (NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE, curl --cacert).
 */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-s3-bench-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { cert, key };
}

/**
 * Spawns `bench/sink-server.ts` on a free port (with `extraArgs`, e.g. `--latency-ms 50`) and waits for its endpoint
 * line. `tls`: serve https with a fresh self-signed certificate (stats and warm-up go to its plain-http control port).
 */
export async function startSink(extraArgs: readonly string[] = [], options: { tls?: boolean } = {}): Promise<Sink> {
  const script = path.join(__dirname, '..', 'sink-server.ts');
  const certificate = options.tls === true ? selfSignedCertificate() : undefined;
  const tlsArgs = certificate === undefined ? [] : ['--tls-cert', certificate.cert, '--tls-key', certificate.key];
  // Our end of its stdin closes when we exit (even by a crash): the sink then exits too.
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0', '--exit-with-stdin', ...tlsArgs, ...extraArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const { endpoint, control } = await new Promise<{ endpoint: string; control?: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sink exited early (code ${code})`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as { endpoint: string; control?: string }));
  });
  const plain = control ?? endpoint;
  return {
    endpoint,
    caFile: certificate?.cert,
    control: plain,
    async stats() {
      const res = await fetch(`${plain}/_sink/stats`);
      return (await res.json()) as SinkStats;
    },
    async warmUp() {
      const body = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < 8; i++) {
        await (await fetch(`${plain}/warm/up`, { method: 'PUT', body })).arrayBuffer();
        await (await fetch(`${plain}/warm/size-${body.length}`)).arrayBuffer();
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (certificate !== undefined) await rm(path.dirname(certificate.cert), { recursive: true, force: true });
    },
  };
}

/** The target from `S3_ENDPOINT` & co., or a fresh sink when `S3_ENDPOINT` is unset. */
export async function resolveTarget(): Promise<Target> {
  const env = process.env;
  if (env.S3_ENDPOINT) {
    return {
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION ?? 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY ?? '',
      secretAccessKey: env.S3_SECRET_KEY ?? '',
      forcePathStyle: (env.S3_FORCE_PATH_STYLE ?? 'true') !== 'false',
      sink: undefined,
    };
  }
  const sink = await startSink();
  return { endpoint: sink.endpoint, region: 'us-east-1', accessKeyId: 'bench', secretAccessKey: 'bench', forcePathStyle: true, sink };
}

/** A unique path under the OS temp dir. */
export function tempPath(label: string): string {
  return path.join(tmpdir(), `rx-s3-bench-${label}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `file`: `size` bytes of a repeated pseudo-random MiB block. */
export async function writeSourceFile(file: string, size: number): Promise<void> {
  const block = randomBytes(1024 * 1024);
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(block.length, size - written);
      await handle.write(block, 0, n);
      written += n;
    }
  } catch (err) {
    await handle.close();
    await rm(file, { force: true });
    throw err;
  }
  await handle.close();
}
