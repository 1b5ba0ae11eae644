/**
 * `peers` (also what `npm run bench` runs with no benchmark name): rx-s3 side by side with the libraries and tools
 * a user would pick instead, in one run, on the same servers, each run of each client in its own process.
 *
 *   npm run bench [-- [--quick] [--json FILE] [--markdown FILE] [--ceph] [--runs N] [--only GROUPS]
 *                     [--peers rx,rxsdk,raw,boto3,awscli,minio,curl] [--sizes MiB,...] [--remote-sizes MiB,...]
 *                     [--no-setup] [--skip-sink] [--tls]]
 *
 * Peers: rx-s3 (`rx`, its default data plane), rx-s3 forced onto the SDK path (`rxsdk`, `RXS3_DATA_PLANE=sdk`),
 * the raw AWS SDK v3 with lib-storage (`raw`), boto3 + s3transfer (`boto3`, Debian's python3-boto3, run with
 * /usr/bin/python3), the AWS CLI (`awscli`, Debian's, /usr/bin/aws `s3 cp`), minio-js (`minio`) and curl (`curl`,
 * downloads only: one GET signed by `--aws-sigv4`, the single-stream reference). A missing peer is installed by
 * bench/setup-peers.sh (apt-get, as root) or else skipped, saying so.
 *
 * `--tls`: the sink also over https (a self-signed certificate made for the run, trusted by the benchmark's
 * clients only: NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE, curl --cacert), as the server `sink-tls`.
 *
 * Groups (`--only`, comma list): `upload`, `download` (every peer, `--sizes`), `list` (20,000 keys), `head`
 * (1,000 sequential HeadObject after 200 untimed ones), `puts` (10,000 small PutObject, 32 in flight), `rss` (1 GiB up and down, rx vs
 * raw), `growth` (listing peak RSS at 1,000, 10,000 and 100,000 keys, on the embedded fauxqs server), `startup`
 * (each client's fixed cost: the first request of a fresh process; the whole process for the AWS CLI).
 *
 * Servers: always the sink (bench/sink-server.ts, its own process); also S3_ENDPOINT (+ S3_ACCESS_KEY,
 * S3_SECRET_KEY, S3_REGION, S3_FORCE_PATH_STYLE, S3_BUCKET) when set, or with `--ceph` the project's throw-away
 * Ceph RGW (spec/support/ceph/start-rgw.sh; stopped afterwards if this run started it). The embedded server serves
 * the `growth` group only. Against a real server the transfers use `--remote-sizes` (default 64 MiB), and the
 * list/head/puts groups use smaller counts; `rss` and `growth` run on the sink/embedded server only. `--skip-sink`
 * runs only the real server's groups (and `growth`, unless left out of `--only`).
 *
 * Every figure is the median of `--runs` runs (default 3; 1 with --quick); within a run the clients take turns,
 * in an order rotated from one run to the next. Each library's transfer job makes the same transfer once untimed
 * before the timed one (`WARM_TRANSFERS`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { lastValueFrom, toArray } from 'rxjs';
import { RxS3 } from '../lib/index';
import { startSink, type Target, tempPath, writeSourceFile } from './lib/env';
import type { JobReport } from './lib/job';
import { cpuPerGiB, fmt, killJobs, mbPerSecond, median, MiB, printTable, runJob, runProcess } from './lib/measure';

const PEERS = ['rx', 'rxsdk', 'raw', 'boto3', 'awscli', 'minio', 'curl'] as const;
type Peer = (typeof PEERS)[number];
const GROUPS = ['upload', 'download', 'list', 'head', 'puts', 'rss', 'growth', 'startup'] as const;
type GroupKind = (typeof GROUPS)[number];

const LABEL: Record<Peer, string> = {
  rx: 'rx-s3', rxsdk: 'rx-s3 (SDK path)', raw: 'raw SDK v3', boto3: 'boto3', awscli: 'AWS CLI', minio: 'minio-js', curl: 'curl (one GET)',
};
/** Untimed HeadObjects before the timed ones: steady-state latency, not the JIT's first minutes. */
const HEAD_WARM_UP = 200;
/**
 * Untimed runs of the same transfer before the timed one, for every library (rx-s3, the raw SDK, boto3, minio-js):
 * the figures are a process that has already moved a file (code loaded and compiled, connections open, buffers
 * allocated), what an application sees from its second transfer on. The CLI and curl are whole processes, timed
 * from their start. The `rss` group has no warm-up (its peak is a first transfer's).
 */
const WARM_TRANSFERS = 1;
const PYTHON = '/usr/bin/python3';
const AWS = '/usr/bin/aws';
const BOTO3_JOB = path.join(__dirname, 'jobs', 'boto3_job.py');
const MEASURE_CMD = path.join(__dirname, 'jobs', 'measure_cmd.py');

// ---- what runs where ----------------------------------------------------------------------------------

/** A server the groups run against, with what the harness needs to drive it. */
interface Server {
  readonly name: string;
  readonly target: Target;
  readonly bucket: string;
  /** Every key this run writes on a real server lives under it (deleted at the end). */
  readonly prefix: string;
  readonly real: boolean;
  /** https with a certificate of the run's own: the PEM file its clients are told to trust. */
  readonly caFile?: string;
}

/** One table: a kind of job, at one size or count, on one server, for some peers. */
interface Group {
  readonly id: string;
  readonly kind: GroupKind;
  readonly title: string;
  readonly server: Server;
  readonly peers: readonly Peer[];
  /** Bytes per transfer (upload, download, rss). */
  readonly size: number;
  /** Keys to list, HEADs to time, puts to make. */
  readonly count: number;
  /** rss: which direction. */
  readonly direction?: 'upload' | 'download';
}

interface Sample {
  readonly group: string;
  readonly peer: Peer;
  readonly run: number;
  readonly report: JobReport;
  /** The sink's CPU seconds during the job (sink only). */
  readonly serverCpuSeconds: number | undefined;
  /** growth: the listing size this sample is for. */
  readonly keys?: number;
}

interface Failure {
  readonly group: string;
  readonly peer: Peer;
  readonly run: number;
  readonly message: string;
}

interface Options {
  readonly quick: boolean;
  readonly runs: number;
  readonly only: readonly GroupKind[];
  readonly peers: readonly Peer[];
  readonly sizes: readonly number[];
  readonly remoteSizes: readonly number[];
}

function list<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T[] {
  if (value === undefined) return [...allowed];
  const picked = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of picked) if (!allowed.includes(p as T)) throw new Error(`--${flag}: expected some of ${allowed.join(',')}, got '${p}'`);
  return allowed.filter((a) => picked.includes(a));
}

function sizes(value: string | undefined, fallback: readonly number[], flag: string): number[] {
  const xs = value === undefined ? fallback : value.split(',').map(Number);
  if (xs.some((x) => !(x > 0))) throw new Error(`--${flag}: expected MiB numbers, got '${value}'`);
  return xs.map((x) => x * MiB);
}

// ---- peers: which are here ----------------------------------------------------------------------------

/** Why each missing peer cannot run (absent when it can). */
function probePeers(wanted: readonly Peer[]): Map<Peer, string> {
  const missing = new Map<Peer, string>();
  const ok = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (wanted.includes('boto3') && !ok(PYTHON, ['-c', 'import boto3, s3transfer'])) missing.set('boto3', `${PYTHON} cannot import boto3 + s3transfer (Debian package python3-boto3)`);
  if (wanted.includes('awscli') && !ok(AWS, ['--version'])) missing.set('awscli', `${AWS} is missing (Debian package awscli)`);
  if (wanted.includes('awscli') || wanted.includes('boto3')) {
    if (!ok(PYTHON, ['-c', 'import os'])) for (const p of ['boto3', 'awscli'] as const) missing.set(p, `${PYTHON} is missing`);
  }
  if (wanted.includes('curl') && !/aws-sigv4|7\.(7[5-9]|8\d)|8\./.test(spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout ?? '')) {
    missing.set('curl', 'curl with --aws-sigv4 (7.75 or later) is missing');
  }
  if (wanted.includes('minio')) {
    try {
      require.resolve('minio');
    } catch {
      missing.set('minio', "npm package 'minio' is not installed (npm install)");
    }
  }
  return missing;
}

function versions(): Record<string, string> {
  const out = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '' : 'absent';
  };
  const pkg = (name: string): string => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'absent';
    }
  };
  return {
    node: process.version,
    '@aws-sdk/client-s3': pkg('@aws-sdk/client-s3'),
    '@aws-sdk/lib-storage': pkg('@aws-sdk/lib-storage'),
    minio: (() => {
      try {
        return (require(path.join(path.dirname(require.resolve('minio')), '..', '..', 'package.json')) as { version: string }).version;
      } catch {
        return 'absent';
      }
    })(),
    boto3: out(PYTHON, ['-c', 'import boto3, botocore, s3transfer; print("boto3", boto3.__version__, "botocore", botocore.__version__, "s3transfer", s3transfer.__version__)']),
    awscli: out(AWS, ['--version']),
  };
}

function gitCommit(): string {
  const r = spawnSync('git', ['-C', path.join(__dirname, '..'), 'log', '-1', '--format=%h'], { encoding: 'utf8' });
  if (r.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['-C', path.join(__dirname, '..'), 'status', '--porcelain', '--', 'lib'], { encoding: 'utf8' }).stdout.trim() !== '';
  return `${r.stdout.trim()}${dirty ? ' (lib/ has uncommitted changes)' : ''}`;
}

// ---- running one job ----------------------------------------------------------------------------------

/** What every job of a server needs to know about it. */
function commonArgs(s: Server): string[] {
  const t = s.target;
  return ['--endpoint', t.endpoint, '--region', t.region, '--bucket', s.bucket, '--path-style', String(t.forcePathStyle)];
}

/** Environment for the Python peers: credentials, path-style, no default checksums, nothing from ~/.aws. */
function pythonEnv(s: Server, awsConfig: string): Record<string, string> {
  const t = s.target;
  return {
    S3_ACCESS_KEY: t.accessKeyId, S3_SECRET_KEY: t.secretAccessKey,
    AWS_ACCESS_KEY_ID: t.accessKeyId, AWS_SECRET_ACCESS_KEY: t.secretAccessKey, AWS_DEFAULT_REGION: t.region,
    AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '',
    // Newer botocore would send CRC32 trailers by default; these Debian versions predate that, the variables are
    // for newer ones (ignored by older).
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
    ...(s.caFile === undefined ? {} : { AWS_CA_BUNDLE: s.caFile }),
  };
}

interface JobSpec {
  readonly op: 'upload' | 'download' | 'list' | 'head' | 'puts' | 'startup';
  readonly key?: string;
  readonly file?: string;
  readonly prefix?: string;
  readonly count?: number;
  readonly warmUp?: number;
  /** Untimed runs of the same transfer first (library peers only: a tool's process is its own start-up). */
  readonly warmTransfers?: number;
}

function runPeer(peer: Peer, s: Server, spec: JobSpec, awsConfig: string): Promise<JobReport> {
  const args = [...commonArgs(s)];
  if (spec.key !== undefined) args.push('--key', spec.key);
  if (spec.file !== undefined) args.push('--file', spec.file);
  if (spec.prefix !== undefined) args.push('--prefix', spec.prefix);
  if (spec.count !== undefined) args.push('--count', String(spec.count));
  if (spec.warmUp !== undefined) args.push('--warm-up', String(spec.warmUp));
  if (spec.warmTransfers !== undefined && spec.warmTransfers > 0 && peer !== 'curl' && peer !== 'awscli') args.push('--warm-transfers', String(spec.warmTransfers));
  const env = pythonEnv(s, awsConfig);
  const nodeEnv: Record<string, string> = {
    S3_ACCESS_KEY: s.target.accessKeyId, S3_SECRET_KEY: s.target.secretAccessKey,
    // rx-s3 reads AWS_CA_BUNDLE (it would otherwise take the environment's, which replaces Node's list and its
    // NODE_EXTRA_CA_CERTS); the SDK and minio-js read NODE_EXTRA_CA_CERTS.
    ...(s.caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: s.caFile, AWS_CA_BUNDLE: s.caFile }),
  };
  switch (peer) {
    case 'rx':
    case 'raw':
    case 'minio':
      return runJob(`${peer}-${spec.op}`, args, nodeEnv);
    case 'rxsdk':
      return runJob(`rx-${spec.op}`, args, { ...nodeEnv, RXS3_DATA_PLANE: 'sdk' });
    case 'curl': {
      if (spec.op !== 'download') return Promise.reject(new Error(`curl has no '${spec.op}' job here`));
      const t = s.target;
      const url = `${t.endpoint}/${s.bucket}/${spec.key!}`;
      const cmd = ['curl', '-sS', '--fail', '--aws-sigv4', `aws:amz:${t.region}:s3`, '--user', `${t.accessKeyId}:${t.secretAccessKey}`,
        ...(s.caFile === undefined ? [] : ['--cacert', s.caFile]), '-o', spec.file!, url];
      return runProcess('curl-download', PYTHON, [MEASURE_CMD, '--job', 'curl-download', '--bytes-of', spec.file!, '--', ...cmd], env);
    }
    case 'boto3':
      return runProcess(`boto3-${spec.op}`, PYTHON, [BOTO3_JOB, spec.op, ...args], env);
    case 'awscli': {
      const endpoint = ['--endpoint-url', s.target.endpoint];
      const url = `s3://${s.bucket}/${spec.key ?? ''}`;
      const cmd =
        spec.op === 'upload' ? [AWS, 's3', 'cp', spec.file!, url, ...endpoint]
        : spec.op === 'download' ? [AWS, 's3', 'cp', url, spec.file!, ...endpoint]
        : spec.op === 'startup' ? [AWS, 's3api', 'head-bucket', '--bucket', s.bucket, ...endpoint]
        : undefined;
      if (cmd === undefined) return Promise.reject(new Error(`the AWS CLI has no '${spec.op}' job here`));
      const bytes = spec.file === undefined ? [] : ['--bytes-of', spec.file];
      return runProcess(`awscli-${spec.op}`, PYTHON, [MEASURE_CMD, '--job', `awscli-${spec.op}`, ...bytes, '--', ...cmd], env);
    }
  }
}

// ---- the embedded server (growth group) ---------------------------------------------------------------

interface Embedded {
  readonly endpoint: string;
  populate(bucket: string, prefix: string, count: number): Promise<void>;
  stop(): Promise<void>;
}

async function startEmbedded(): Promise<Embedded> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'embedded-server.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const step = await lines.next();
    if (step.done === true) throw new Error('the embedded server exited early');
    return step.value;
  };
  const endpoint = (JSON.parse(await nextLine()) as { endpoint: string }).endpoint;
  return {
    endpoint,
    async populate(bucket, prefix, count) {
      child.stdin.write(`${JSON.stringify({ populate: { bucket, prefix, count } })}\n`);
      await nextLine();
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

// ---- Ceph ---------------------------------------------------------------------------------------------

const CEPH = path.join(__dirname, '..', 'spec', 'support', 'ceph');

/** Starts the project's Ceph RGW (or reuses a running one); returns its settings and whether we started it. */
function startCeph(): { env: Record<string, string>; started: boolean } {
  const running = spawnSync('bash', ['-c', `. "${CEPH}/common.sh"; rgw_cluster_ready`], { stdio: 'ignore' }).status === 0;
  console.error(running ? 'ceph: reusing the running RGW (left running afterwards)' : 'ceph: starting the throw-away RGW (spec/support/ceph/start-rgw.sh)');
  const r = spawnSync('bash', [path.join(CEPH, 'start-rgw.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`start-rgw.sh failed (exit ${r.status})`);
  const env: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/^export (S3_[A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  if (!env.S3_ENDPOINT) throw new Error('start-rgw.sh printed no S3_ENDPOINT');
  return { env, started: !running };
}

function stopCeph(): void {
  console.error('ceph: stopping the RGW this run started (spec/support/ceph/stop-rgw.sh)');
  spawnSync('bash', [path.join(CEPH, 'stop-rgw.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

// ---- housekeeping on a real server --------------------------------------------------------------------

/** A real endpoint from `S3_*` variables (the same ones the test suite and `transfer` read). */
function remoteTarget(env: Record<string, string | undefined>): Target {
  return {
    endpoint: env.S3_ENDPOINT ?? '',
    region: env.S3_REGION ?? 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY ?? '',
    secretAccessKey: env.S3_SECRET_KEY ?? '',
    forcePathStyle: (env.S3_FORCE_PATH_STYLE ?? 'true') !== 'false',
    sink: undefined,
  };
}

function rxFor(t: Target): RxS3 {
  return new RxS3({ endpoint: t.endpoint, region: t.region, forcePathStyle: t.forcePathStyle, credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey } });
}

/** Makes sure the bucket exists (a real server). */
async function ensureBucket(s: Server): Promise<void> {
  const rx = rxFor(s.target);
  try {
    const head = await lastValueFrom(rx.getBucketMetadata(s.bucket));
    if (!head.ok) {
      const created = await lastValueFrom(rx.createBucket(s.bucket));
      if (!created.ok && created.val.kind !== 'BucketAlreadyOwnedByYou') throw new Error(`cannot create bucket ${s.bucket}: ${created.val.message}`);
    }
  } finally {
    rx.destroy();
  }
}

/** `count` small objects `<prefix>0000000`..., 32 PUTs in flight (untimed set-up for listing on a real server). */
async function putKeys(s: Server, prefix: string, count: number, size = 0): Promise<void> {
  const rx = rxFor(s.target);
  const body = Buffer.alloc(size, 'x');
  let next = 0;
  try {
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < count) {
        const key = `${prefix}${String(next++).padStart(7, '0')}`;
        const r = await lastValueFrom(rx.putObject(s.bucket, key, body));
        if (!r.ok) throw new Error(`set-up put ${key} failed: ${r.val.message}`);
      }
    }));
  } finally {
    rx.destroy();
  }
}

/** Deletes every key under `prefix` (a real server). */
async function deletePrefix(s: Server, prefix: string): Promise<number> {
  const rx = rxFor(s.target);
  let deleted = 0;
  try {
    for (;;) {
      const pages = await lastValueFrom(rx.listObjects(s.bucket, { prefix }).pipe(toArray()));
      const keys = pages.flatMap((p) => (p.ok ? p.val.objects.map((o) => o.key) : []));
      if (keys.length === 0) return deleted;
      const batches = await lastValueFrom(rx.deleteObjects(s.bucket, keys).pipe(toArray()));
      const failed = batches.find((b) => !b.ok);
      if (failed && !failed.ok) throw new Error(`clean-up of ${prefix} failed: ${failed.val.message}`);
      deleted += keys.length;
    }
  } finally {
    rx.destroy();
  }
}

// ---- main ---------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false }, json: { type: 'string' }, markdown: { type: 'string' },
      ceph: { type: 'boolean', default: false }, runs: { type: 'string' }, only: { type: 'string' },
      peers: { type: 'string' }, sizes: { type: 'string' }, 'remote-sizes': { type: 'string' },
      'no-setup': { type: 'boolean', default: false }, 'skip-sink': { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
    },
  });
  const quick = o.quick ?? false;
  const options: Options = {
    quick,
    runs: Number(o.runs ?? (quick ? 1 : 3)),
    only: list(o.only, GROUPS, 'only'),
    peers: list(o.peers, PEERS, 'peers'),
    sizes: sizes(o.sizes, quick ? [16] : [64, 512], 'sizes'),
    remoteSizes: sizes(o['remote-sizes'], quick ? [16] : [64], 'remote-sizes'),
  };
  if (!(options.runs >= 1)) throw new Error('--runs must be at least 1');
  if (!options.peers.includes('rx')) throw new Error('--peers must include rx (every ratio is rx-s3 / peer)');

  // Peers: install what is missing (bench/setup-peers.sh), then skip what is still missing, saying so.
  let missing = probePeers(options.peers);
  if (missing.size > 0 && !(o['no-setup'] ?? false) && ([...missing.keys()].some((p) => p === 'boto3' || p === 'awscli'))) {
    console.error(`peers: missing ${[...missing.keys()].join(', ')}; running bench/setup-peers.sh`);
    spawnSync('bash', [path.join(__dirname, 'setup-peers.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    missing = probePeers(options.peers);
  }
  for (const [peer, why] of missing) console.error(`SKIPPED ${LABEL[peer]}: ${why}. Install it with: bash bench/setup-peers.sh (root) or npm install`);
  const peers = options.peers.filter((p) => !missing.has(p));

  const meta = { date: new Date().toISOString(), commit: gitCommit(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memGiB: Math.round(totalmem() / 2 ** 30), loadAvgStart: loadavg(), versions: versions() };
  console.error(`peers: commit ${meta.commit}, ${meta.cpus} cores, load ${meta.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}; ${options.runs} run(s); peers ${peers.map((p) => LABEL[p]).join(', ')}`);

  const awsConfig = tempPath('aws-config');
  const files = new Map<number, string>(); // size -> source file
  const dest = tempPath('dst');
  const cleanups: Array<() => Promise<void>> = [];
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  const groups: Group[] = [];
  let cephStarted = false;

  const removeFilesNow = (): void => [awsConfig, dest, ...files.values()].forEach((f) => rmSync(f, { force: true }));
  process.once('exit', removeFilesNow);
  const onSignal = (): void => {
    killJobs();
    void Promise.allSettled(cleanups.map((c) => c())).finally(() => {
      if (cephStarted) stopCeph();
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  try {
    await writeFile(awsConfig, '[default]\ns3 =\n  addressing_style = path\n');
    const sourceFile = async (size: number): Promise<string> => {
      let f = files.get(size);
      if (f === undefined) {
        f = tempPath(`src-${size / MiB}MiB`);
        files.set(size, f);
        await writeSourceFile(f, size);
      }
      return f;
    };

    // Servers: the sink always; a real one from the environment or --ceph.
    const servers: Server[] = [];
    const sink = await startSink();
    cleanups.push(() => sink.stop());
    const sinkTarget: Target = { endpoint: sink.endpoint, region: 'us-east-1', accessKeyId: 'bench', secretAccessKey: 'bench', forcePathStyle: true, sink };
    if (!(o['skip-sink'] ?? false)) servers.push({ name: 'sink', target: sinkTarget, bucket: 'rx-s3-bench', prefix: '', real: false });
    let tlsSink: Awaited<ReturnType<typeof startSink>> | undefined;
    if (o.tls ?? false) {
      const started = await startSink([], { tls: true });
      tlsSink = started;
      cleanups.push(() => started.stop());
      const target: Target = { ...sinkTarget, endpoint: started.endpoint, sink: started };
      servers.push({ name: 'sink-tls', target, bucket: 'rx-s3-bench', prefix: '', real: false, caFile: started.caFile });
    }
    let remoteEnv: Record<string, string | undefined> | undefined = process.env.S3_ENDPOINT ? process.env : undefined;
    if (o.ceph ?? false) {
      const ceph = startCeph();
      cephStarted = ceph.started;
      remoteEnv = { ...process.env, ...ceph.env };
    }
    if (remoteEnv !== undefined) {
      const target = remoteTarget(remoteEnv);
      const name = o.ceph ? 'ceph' : new URL(target.endpoint).host;
      const server: Server = { name, target, bucket: process.env.S3_BUCKET ?? 'rx-s3-bench', prefix: `rx-s3-bench-${process.pid}/`, real: true };
      servers.push(server);
      await ensureBucket(server);
      cleanups.push(async () => {
        const n = await deletePrefix(server, server.prefix);
        console.error(`${server.name}: deleted the ${n} objects this run wrote under ${server.prefix}`);
      });
    }

    // The plan.
    const want = (k: GroupKind): boolean => options.only.includes(k);
    const has = (wanted: readonly Peer[]): Peer[] => wanted.filter((p) => peers.includes(p));
    const q = options.quick;
    for (const s of servers) {
      const transferSizes = s.real ? options.remoteSizes : options.sizes;
      for (const size of transferSizes) {
        if (want('upload')) groups.push({ id: `${s.name}/upload/${size / MiB}`, kind: 'upload', title: `upload ${size / MiB} MiB`, server: s, peers: has(PEERS.filter((p) => p !== 'curl')), size, count: 0 });
        // curl 7.88's --aws-sigv4 is refused by Ceph RGW 16 (403): it is the single-GET reference on the sinks only.
        if (want('download')) groups.push({ id: `${s.name}/download/${size / MiB}`, kind: 'download', title: `download ${size / MiB} MiB`, server: s, peers: has(PEERS.filter((p) => p !== 'curl' || !s.real)), size, count: 0 });
      }
      const listKeys = q ? 2_000 : s.real ? 5_000 : 20_000;
      if (want('list')) groups.push({ id: `${s.name}/list`, kind: 'list', title: `list ${listKeys.toLocaleString('en')} keys`, server: s, peers: has(['rx', 'rxsdk', 'raw', 'boto3', 'minio']), size: 0, count: listKeys });
      const heads = q ? 200 : 1_000;
      if (want('head')) groups.push({ id: `${s.name}/head`, kind: 'head', title: `${heads.toLocaleString('en')} sequential HeadObject`, server: s, peers: has(['rx', 'rxsdk', 'raw', 'boto3', 'minio']), size: 0, count: heads });
      const puts = q ? 1_000 : s.real ? 2_000 : 10_000;
      if (want('puts')) groups.push({ id: `${s.name}/puts`, kind: 'puts', title: `${puts.toLocaleString('en')} PutObject of 1 KiB, 32 in flight`, server: s, peers: has(['rx', 'rxsdk', 'raw', 'boto3', 'minio']), size: 0, count: puts });
      if (!s.real && want('rss')) {
        const size = (q ? 64 : 1024) * MiB;
        for (const direction of ['upload', 'download'] as const) {
          groups.push({ id: `${s.name}/rss-${direction}`, kind: 'rss', title: `${direction} ${size / MiB} MiB, peak RSS`, server: s, peers: has(['rx', 'rxsdk', 'raw']), size, count: 0, direction });
        }
      }
      if (want('startup')) groups.push({ id: `${s.name}/startup`, kind: 'startup', title: 'fixed cost: the first request of a fresh process (one HeadObject; the AWS CLI: s3api head-bucket)', server: s, peers: has(PEERS.filter((p) => p !== 'curl')), size: 0, count: 1 });
    }
    let embedded: Embedded | undefined;
    if (want('growth')) {
      embedded = await startEmbedded();
      const e = embedded;
      cleanups.push(() => e.stop());
      const t: Target = { endpoint: e.endpoint, region: 'us-east-1', accessKeyId: 'bench', secretAccessKey: 'bench', forcePathStyle: true, sink: undefined };
      const server: Server = { name: 'embedded', target: t, bucket: 'rx-s3-bench', prefix: '', real: false };
      groups.push({ id: 'embedded/growth', kind: 'growth', title: 'listing peak RSS, small vs large bucket', server, peers: has(['rx', 'raw', 'minio']), size: 0, count: q ? 10_000 : 100_000 });
    }

    await sink.warmUp();
    await tlsSink?.warmUp();
    for (const g of groups) await runGroup(g);
    report(groups, samples, failures, missing);

    if (o.json || o.markdown) {
      const doc = { benchmark: 'peers', ...meta, loadAvgEnd: loadavg(), options: { ...options, sizes: options.sizes.map((x) => x / MiB), remoteSizes: options.remoteSizes.map((x) => x / MiB) }, skipped: Object.fromEntries(missing), groups: groups.map((g) => ({ id: g.id, kind: g.kind, title: g.title, server: g.server.name, endpoint: g.server.target.endpoint, peers: g.peers, size: g.size, count: g.count })), summary: summaries(groups, samples), samples, failures };
      if (o.json) await writeFile(o.json, `${JSON.stringify(doc, null, 2)}\n`);
      if (o.markdown) await writeFile(o.markdown, markdown(groups, samples, failures, missing, meta));
    }
    if (failures.length > 0) {
      console.error(`\n${failures.length} job(s) failed:`);
      for (const f of failures) console.error(`  ${f.group} ${LABEL[f.peer]} run ${f.run}: ${f.message}`);
      process.exitCode = 1;
    }

    async function runGroup(g: Group): Promise<void> {
      const s = g.server;
      console.error(`\n${g.server.name}: ${g.title} — ${g.peers.map((p) => LABEL[p]).join(', ')}`);
      // Set-up, untimed.
      let file = '';
      let downloadKey = '';
      if (g.kind === 'upload' || g.kind === 'download' || g.kind === 'rss') file = await sourceFile(g.size);
      if (g.kind === 'download' || (g.kind === 'rss' && g.direction === 'download')) {
        downloadKey = `size-${g.size}`; // the sink serves it without an upload
        if (s.real) {
          downloadKey = `${s.prefix}download-${g.size}`;
          await runPeer('raw', s, { op: 'upload', key: downloadKey, file }, awsConfig);
        }
      }
      const listPrefix = `${s.prefix}list-${g.count}/`;
      if (g.kind === 'list') {
        if (s.target.sink) await fetch(`${s.target.sink.control}/_sink/populate?bucket=${s.bucket}&prefix=${encodeURIComponent(listPrefix)}&count=${g.count}`, { method: 'POST' });
        else await putKeys(s, listPrefix, g.count);
      }
      let headKey = 'size-1024';
      if ((g.kind === 'head' || g.kind === 'startup') && s.real) {
        headKey = `${s.prefix}head-1KiB`;
        await putKeys(s, headKey, 1, 1024);
        headKey = `${headKey}0000000`;
      }
      const growthSizes = g.kind === 'growth' ? [...new Set([1_000, 10_000, g.count])] : [];
      for (const n of growthSizes) await embedded!.populate(s.bucket, `growth-${n}/`, n);

      for (let run = 1; run <= options.runs; run++) {
        const order = g.peers.map((_, i) => g.peers[(i + run - 1) % g.peers.length]!);
        for (const peer of order) {
          const specs: Array<{ spec: JobSpec; keys?: number }> =
            g.kind === 'upload' ? [{ spec: { op: 'upload', key: `${s.prefix}up-${peer}-${g.size}`, file, warmTransfers: WARM_TRANSFERS } }]
            : g.kind === 'download' ? [{ spec: { op: 'download', key: downloadKey, file: dest, warmTransfers: WARM_TRANSFERS } }]
            : g.kind === 'rss' && g.direction === 'upload' ? [{ spec: { op: 'upload', key: `${s.prefix}up-${peer}-${g.size}`, file } }]
            : g.kind === 'rss' ? [{ spec: { op: 'download', key: downloadKey, file: dest } }]
            : g.kind === 'list' ? [{ spec: { op: 'list', prefix: listPrefix, count: g.count } }]
            : g.kind === 'head' ? [{ spec: { op: 'head', key: headKey, count: g.count, warmUp: HEAD_WARM_UP } }]
            : g.kind === 'puts' ? [{ spec: { op: 'puts', prefix: `${s.prefix}puts-${peer}-${run}/`, count: g.count } }]
            : g.kind === 'growth' ? growthSizes.map((n) => ({ spec: { op: 'list', prefix: `growth-${n}/`, count: n } as JobSpec, keys: n }))
            : peer === 'awscli' ? [{ spec: { op: 'startup' } }]
            : [{ spec: { op: 'head', key: headKey, count: 1, warmUp: 0 } }];
          for (const { spec, keys } of specs) {
            const before = await s.target.sink?.stats();
            try {
              const r = await runPeer(peer, s, spec, awsConfig);
              const after = await s.target.sink?.stats();
              check(g, spec, r, keys);
              // The server served the warm-up transfers too: its CPU per transfer is its share.
              const served = 1 + (spec.warmTransfers !== undefined && peer !== 'curl' && peer !== 'awscli' ? spec.warmTransfers : 0);
              const sample: Sample = { group: g.id, peer, run, report: r, serverCpuSeconds: before && after ? (after.cpuSeconds - before.cpuSeconds) / served : undefined, ...(keys === undefined ? {} : { keys }) };
              samples.push(sample);
              console.error(`  run ${run}/${options.runs} ${LABEL[peer].padEnd(10)} ${describe(g, sample)}`);
            } catch (err) {
              const message = err instanceof Error ? err.message : String(err);
              failures.push({ group: g.id, peer, run, message });
              console.error(`  run ${run}/${options.runs} ${LABEL[peer].padEnd(10)} FAILED: ${message}`);
            } finally {
              if (spec.op === 'download') await rm(dest, { force: true });
            }
          }
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', removeFilesNow);
    removeFilesNow();
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error('clean-up failed:', err));
    if (cephStarted) stopCeph();
  }
}

/** A job that did not do its whole work is a failure, never a figure. */
function check(g: Group, spec: JobSpec, r: JobReport, keys: number | undefined): void {
  if (spec.op === 'upload' || spec.op === 'download') {
    if (r.bytes !== g.size) throw new Error(`moved ${r.bytes} bytes, expected ${g.size}`);
  } else if (spec.op === 'list') {
    const expected = keys ?? g.count;
    if (r.ops !== expected) throw new Error(`listed ${r.ops} keys, expected ${expected}`);
  } else if (spec.op === 'head' || spec.op === 'puts') {
    if (r.ops !== g.count) throw new Error(`made ${r.ops} requests, expected ${g.count}`);
  }
}

// ---- figures ------------------------------------------------------------------------------------------

const rssMiB = (r: JobReport): number => r.maxRSSKiB / 1024;

function describe(g: Group, s: Sample): string {
  const r = s.report;
  const server = s.serverCpuSeconds === undefined ? '' : `  (server ${fmt(s.serverCpuSeconds, 2)} CPU-s)`;
  switch (g.kind) {
    case 'upload':
    case 'download':
    case 'rss':
      return `${fmt(mbPerSecond(r.bytes, r.wallSeconds)).padStart(7)} MB/s  ${fmt(cpuPerGiB(r.cpuSeconds, r.bytes), 2)} CPU-s/GiB  ${fmt(rssMiB(r), 0)} MiB${server}`;
    case 'list':
    case 'growth':
      return `${r.ops} keys in ${fmt(r.wallSeconds, 2)} s  ${fmt(r.cpuSeconds, 2)} CPU-s  ${fmt(rssMiB(r), 0)} MiB${server}`;
    case 'head':
      return `p50 ${fmt(r.latencyMs?.p50 ?? NaN, 2)} ms  p99 ${fmt(r.latencyMs?.p99 ?? NaN, 2)} ms  ${fmt((r.cpuSeconds * 1000) / (r.ops ?? 1), 2)} CPU-ms/op  ${fmt(rssMiB(r), 0)} MiB${server}`;
    case 'puts':
      return `${fmt((r.ops ?? 0) / r.wallSeconds, 0)} ops/s  ${fmt((r.cpuSeconds * 1000) / (r.ops ?? 1), 2)} CPU-ms/op  ${fmt(rssMiB(r), 0)} MiB${server}`;
    case 'startup':
      return `${fmt(r.wallSeconds * 1000, 0)} ms  ${fmt(r.cpuSeconds * 1000, 0)} CPU-ms  ${fmt(rssMiB(r), 0)} MiB`;
  }
}

/** Medians of one peer in one group. `speed` is higher-is-better (MB/s, keys/s, ops/s, 1/p50). */
interface Summary {
  readonly group: string;
  readonly peer: Peer;
  readonly runs: number;
  readonly mbPerSecond?: number;
  readonly cpuSecondsPerGiB?: number;
  readonly keysPerSecond?: number;
  readonly opsPerSecond?: number;
  readonly cpuMsPerOp?: number;
  readonly cpuMsPer1kKeys?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRSSMiB: number;
  readonly serverCpuSeconds?: number;
  /** growth: peak RSS at the small and the large listing, and the difference. */
  readonly rssSmallMiB?: number;
  /** growth: peak RSS at 10,000 keys. */
  readonly rssMidMiB?: number;
  readonly rssLargeMiB?: number;
  readonly rssGrowthMiB?: number;
}

function summarise(g: Group, peer: Peer, mine: readonly Sample[]): Summary | undefined {
  if (mine.length === 0) return undefined;
  const m = (f: (s: Sample) => number): number => median(mine.map(f));
  const base = {
    group: g.id, peer, runs: new Set(mine.map((s) => s.run)).size,
    wallSeconds: m((s) => s.report.wallSeconds), cpuSeconds: m((s) => s.report.cpuSeconds), peakRSSMiB: m((s) => rssMiB(s.report)),
    ...(mine.every((s) => s.serverCpuSeconds !== undefined) ? { serverCpuSeconds: m((s) => s.serverCpuSeconds!) } : {}),
  };
  switch (g.kind) {
    case 'upload':
    case 'download':
    case 'rss':
      return { ...base, mbPerSecond: m((s) => mbPerSecond(s.report.bytes, s.report.wallSeconds)), cpuSecondsPerGiB: m((s) => cpuPerGiB(s.report.cpuSeconds, s.report.bytes)) };
    case 'list':
      return { ...base, keysPerSecond: m((s) => (s.report.ops ?? 0) / s.report.wallSeconds), cpuMsPer1kKeys: m((s) => (s.report.cpuSeconds * 1e6) / (s.report.ops ?? 1)) };
    case 'head':
      return { ...base, p50Ms: m((s) => s.report.latencyMs?.p50 ?? NaN), p99Ms: m((s) => s.report.latencyMs?.p99 ?? NaN), opsPerSecond: m((s) => (s.report.ops ?? 0) / s.report.wallSeconds), cpuMsPerOp: m((s) => (s.report.cpuSeconds * 1000) / (s.report.ops ?? 1)) };
    case 'puts':
      return { ...base, opsPerSecond: m((s) => (s.report.ops ?? 0) / s.report.wallSeconds), cpuMsPerOp: m((s) => (s.report.cpuSeconds * 1000) / (s.report.ops ?? 1)) };
    case 'growth': {
      const rssAt = (n: number): number => median(mine.filter((s) => s.keys === n).map((s) => rssMiB(s.report)));
      const large = mine.filter((s) => s.keys === g.count);
      const rssSmallMiB = rssAt(1_000);
      const rssLargeMiB = rssAt(g.count);
      return { ...base, peakRSSMiB: rssLargeMiB, rssSmallMiB, rssMidMiB: rssAt(10_000), rssLargeMiB, rssGrowthMiB: rssLargeMiB - rssSmallMiB, keysPerSecond: median(large.map((s) => (s.report.ops ?? 0) / s.report.wallSeconds)) };
    }
    case 'startup':
      return base;
  }
}

function summaries(groups: readonly Group[], samples: readonly Sample[]): Summary[] {
  return groups.flatMap((g) => g.peers.flatMap((p) => summarise(g, p, samples.filter((s) => s.group === g.id && s.peer === p)) ?? []));
}

/** The table of one group: header and rows (strings), the ratio columns read "rx-s3 / this peer". */
function table(g: Group, samples: readonly Sample[], failures: readonly Failure[]): { header: string[]; rows: string[][]; note: string } {
  const sums = new Map<Peer, Summary>();
  for (const p of g.peers) {
    const s = summarise(g, p, samples.filter((x) => x.group === g.id && x.peer === p));
    if (s) sums.set(p, s);
  }
  const rx = sums.get('rx');
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !Number.isFinite(a / b) ? '-' : `${fmt(a / b, 2)}x`);
  const failed = (p: Peer): string[] => {
    const n = failures.filter((f) => f.group === g.id && f.peer === p).length;
    return n > 0 ? [`${n} run(s) FAILED`] : [];
  };
  const serverCol = g.server.target.sink !== undefined;
  const rows: string[][] = [];
  let header: string[] = [];
  let note = '';
  for (const p of g.peers) {
    const s = sums.get(p);
    const name = LABEL[p];
    if (!s) {
      rows.push([name, ...failed(p), 'no result']);
      continue;
    }
    const isRx = p === 'rx';
    switch (g.kind) {
      case 'upload':
      case 'download':
      case 'rss':
        header = ['client', 'MB/s', 'CPU-s/GiB', 'peak RSS MiB', ...(serverCol ? ['server CPU-s/GiB'] : []), 'rx-s3 speed ÷ this', 'rx-s3 CPU ÷ this'];
        rows.push([name, fmt(s.mbPerSecond!), fmt(s.cpuSecondsPerGiB!, 2), fmt(s.peakRSSMiB, 0), ...(serverCol ? [fmt(cpuPerGiB(s.serverCpuSeconds ?? NaN, g.size), 2)] : []),
          isRx ? '' : ratio(rx?.mbPerSecond, s.mbPerSecond), isRx ? '' : ratio(rx?.cpuSecondsPerGiB, s.cpuSecondsPerGiB)]);
        break;
      case 'list':
        header = ['client', 'keys/s', 'CPU-ms per 1k keys', 'peak RSS MiB', ...(serverCol ? ['server CPU-s'] : []), 'rx-s3 speed ÷ this', 'rx-s3 CPU ÷ this'];
        rows.push([name, fmt(s.keysPerSecond!, 0), fmt(s.cpuMsPer1kKeys!, 1), fmt(s.peakRSSMiB, 0), ...(serverCol ? [fmt(s.serverCpuSeconds ?? NaN, 2)] : []),
          isRx ? '' : ratio(rx?.keysPerSecond, s.keysPerSecond), isRx ? '' : ratio(rx?.cpuMsPer1kKeys, s.cpuMsPer1kKeys)]);
        break;
      case 'head':
        header = ['client', 'p50 ms', 'p99 ms', 'ops/s', 'CPU-ms/op', 'peak RSS MiB', 'rx-s3 p50 ÷ this', 'rx-s3 p99 ÷ this', 'rx-s3 CPU ÷ this'];
        rows.push([name, fmt(s.p50Ms!, 2), fmt(s.p99Ms!, 2), fmt(s.opsPerSecond!, 0), fmt(s.cpuMsPerOp!, 2), fmt(s.peakRSSMiB, 0),
          isRx ? '' : ratio(rx?.p50Ms, s.p50Ms), isRx ? '' : ratio(rx?.p99Ms, s.p99Ms), isRx ? '' : ratio(rx?.cpuMsPerOp, s.cpuMsPerOp)]);
        break;
      case 'puts':
        header = ['client', 'ops/s', 'CPU-ms/op', 'peak RSS MiB', ...(serverCol ? ['server CPU-ms/op'] : []), 'rx-s3 speed ÷ this', 'rx-s3 CPU ÷ this'];
        rows.push([name, fmt(s.opsPerSecond!, 0), fmt(s.cpuMsPerOp!, 2), fmt(s.peakRSSMiB, 0), ...(serverCol ? [fmt(((s.serverCpuSeconds ?? NaN) * 1000) / g.count, 2)] : []),
          isRx ? '' : ratio(rx?.opsPerSecond, s.opsPerSecond), isRx ? '' : ratio(rx?.cpuMsPerOp, s.cpuMsPerOp)]);
        break;
      case 'growth':
        header = ['client', 'peak RSS MiB, 1,000 keys', 'at 10,000 keys', `at ${g.count.toLocaleString('en')} keys`, `growth 1,000 → ${g.count.toLocaleString('en')}`, `growth 10,000 → ${g.count.toLocaleString('en')}`, `keys/s at ${g.count.toLocaleString('en')}`];
        rows.push([name, fmt(s.rssSmallMiB!, 0), fmt(s.rssMidMiB!, 0), fmt(s.rssLargeMiB!, 0), fmt(s.rssGrowthMiB!, 0), fmt(s.rssLargeMiB! - s.rssMidMiB!, 0), fmt(s.keysPerSecond!, 0)]);
        break;
      case 'startup':
        header = ['client', 'wall ms', 'CPU ms', 'peak RSS MiB'];
        rows.push([name, fmt(s.wallSeconds * 1000, 0), fmt(s.cpuSeconds * 1000, 0), fmt(s.peakRSSMiB, 0)]);
        note = 'Libraries: the first request after the client was built (module loading, JIT, connection); it is part of every transfer figure. AWS CLI: the whole `aws` process (interpreter start-up included), part of each of its transfer figures.';
        break;
    }
    rows[rows.length - 1]!.push(...failed(p));
  }
  if (g.kind === 'upload' || g.kind === 'download') note = 'AWS CLI: the whole `aws s3 cp` process, its start-up included (see the start-up table); the libraries: from the first request to the last byte of a second transfer in the process (one untimed transfer first, the same for every library).';
  return { header, rows, note };
}

function report(groups: readonly Group[], samples: readonly Sample[], failures: readonly Failure[], missing: ReadonlyMap<Peer, string>): void {
  console.log('\nmedians; client CPU and peak RSS are the client process\'s; server CPU is the sink\'s during the job');
  for (const g of groups) {
    const t = table(g, samples, failures);
    console.log(`\n${g.server.name}: ${g.title}`);
    if (t.header.length > 0) printTable(t.header, t.rows);
    else for (const r of t.rows) console.log(`  ${r.join('  ')}`);
  }
  for (const [peer, why] of missing) console.log(`\nSKIPPED ${LABEL[peer]}: ${why}`);
}

function markdown(groups: readonly Group[], samples: readonly Sample[], failures: readonly Failure[], missing: ReadonlyMap<Peer, string>, meta: { date: string; commit: string; cpus: number; cpuModel: string; versions: Record<string, string> }): string {
  const out: string[] = [`<!-- generated by npm run bench -- --markdown, ${meta.date}, commit ${meta.commit} -->`, ''];
  out.push(`${meta.cpus} cores (${meta.cpuModel}); ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join('; ')}`, '');
  for (const g of groups) {
    const t = table(g, samples, failures);
    out.push(`#### ${g.server.name}: ${g.title}`, '');
    if (t.header.length > 0) {
      out.push(`| ${t.header.join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
      for (const r of t.rows) out.push(`| ${r.join(' | ')} |`);
    } else {
      for (const r of t.rows) out.push(`- ${r.join(' ')}`);
    }
    if (t.note) out.push('', t.note);
    out.push('');
  }
  for (const [peer, why] of missing) out.push(`SKIPPED ${LABEL[peer]}: ${why}`, '');
  return `${out.join('\n')}\n`;
}
