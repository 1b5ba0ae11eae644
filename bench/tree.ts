/**
 * `tree`: many objects at once. A tree of small files (4-64 KiB) plus a few big ones, moved by rx-s3's CLI
 * (`sync`, `cp -r`) and by the tools a user would pick instead, each in its own process, against the sink:
 *
 *   - `aws s3 sync` / `aws s3 cp --recursive` (Debian awscli, /usr/bin/aws, its defaults: 10 requests in flight);
 *   - `rclone sync` / `rclone copy` (Debian rclone, /usr/bin/rclone, an S3 remote from environment variables, its
 *     defaults: 4 transfers, 8 checkers; `--ignore-checksum`, as the sink's ETags are not MD5s);
 *   - boto3: a thread pool of 32 over `upload_file` / `download_file` (bench/jobs/boto3_tree.py; no sync).
 *
 * Phases: `upload` (empty prefix), `noop` (the same sync again: nothing to send), `changed` (after 1 % of the
 * files grew by a byte), `download` (the prefix into an empty directory). Each figure: wall seconds, files/s,
 * MB/s, CPU seconds and peak RSS of the whole process (bench/jobs/measure_cmd.py), start-up included.
 *
 *   npm run bench -- tree [--files 10000] [--big 8] [--big-mib 64] [--peers rx,awscli,rclone,boto3] [--json FILE]
 */
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, readdir, stat, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSink } from './lib/env';
import type { JobReport } from './lib/job';
import { fmt, MiB, printTable, runProcess } from './lib/measure';

const PEERS = ['rx', 'awscli', 'rclone', 'boto3'] as const;
type Peer = (typeof PEERS)[number];
const PHASES = ['upload', 'noop', 'changed', 'download'] as const;
type Phase = (typeof PHASES)[number];
const MEASURE_CMD = path.join(__dirname, 'jobs', 'measure_cmd.py');
const BOTO3_TREE = path.join(__dirname, 'jobs', 'boto3_tree.py');
const ROOT = path.join(__dirname, '..');
const BUCKET = 'bench-tree';

/** Writes the tree: `files` small files in 100 directories, sizes 4-64 KiB, and `big` files of `bigMiB`. */
async function makeTree(root: string, files: number, big: number, bigMiB: number): Promise<{ bytes: number; small: string[] }> {
  let bytes = 0;
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const block = randomFillSync(Buffer.allocUnsafe(64 * 1024));
  const small: string[] = [];
  for (let i = 0; i < files; i += 1) {
    const rel = `d${String(i % 100).padStart(2, '0')}/f${String(i).padStart(6, '0')}.dat`;
    const size = 4096 + (next() % (60 * 1024));
    await mkdir(path.join(root, path.dirname(rel)), { recursive: true });
    await writeFile(path.join(root, rel), block.subarray(0, size));
    small.push(rel);
    bytes += size;
  }
  const chunk = randomFillSync(Buffer.allocUnsafe(MiB));
  for (let i = 0; i < big; i += 1) {
    const file = path.join(root, 'big', `big${i}.bin`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '');
    for (let m = 0; m < bigMiB; m += 1) await appendFile(file, chunk);
    bytes += bigMiB * MiB;
  }
  return { bytes, small };
}

/** The command line of one peer for one phase. */
function command(peer: Peer, phase: Phase, tree: string, into: string, prefix: string, endpoint: string): string[] | undefined {
  const url = `s3://${BUCKET}/${prefix}/`;
  const rx = existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')) ? [process.execPath, path.join(ROOT, 'dist', 'cli', 'main.js')] : [process.execPath, '--import', 'tsx', path.join(ROOT, 'lib', 'cli', 'main.ts')];
  switch (peer) {
    case 'rx':
      return phase === 'download' ? [...rx, 'cp', '-r', url, into] : [...rx, 'sync', tree, url];
    case 'awscli':
      // Debian's awscli 2.9 predates AWS_ENDPOINT_URL.
      return phase === 'download'
        ? ['/usr/bin/aws', '--endpoint-url', endpoint, 's3', 'cp', '--recursive', '--only-show-errors', url, into]
        : ['/usr/bin/aws', '--endpoint-url', endpoint, 's3', 'sync', '--only-show-errors', tree, url];
    case 'rclone':
      // The sink's ETags are not MD5s: --ignore-checksum, or rclone fails every file as corrupted.
      return phase === 'download'
        ? ['/usr/bin/rclone', 'copy', '--ignore-checksum', `sink:${BUCKET}/${prefix}`, into]
        : ['/usr/bin/rclone', 'sync', '--ignore-checksum', tree, `sink:${BUCKET}/${prefix}`];
    case 'boto3':
      if (phase === 'noop' || phase === 'changed') return undefined;
      return phase === 'download' ? ['/usr/bin/python3', BOTO3_TREE, 'download', BUCKET, `${prefix}/`, into] : ['/usr/bin/python3', BOTO3_TREE, 'upload', tree, BUCKET, `${prefix}/`];
  }
}

async function filesAndBytes(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: 'string', default: '10000' },
      big: { type: 'string', default: '8' },
      'big-mib': { type: 'string', default: '64' },
      peers: { type: 'string', default: PEERS.join(',') },
      json: { type: 'string' },
    },
  });
  const files = Number(values.files);
  const big = Number(values.big);
  const bigMiB = Number(values['big-mib']);
  const peers = values.peers.split(',').filter((p): p is Peer => (PEERS as readonly string[]).includes(p))
    .filter((p) => {
      const bin = { rx: process.execPath, awscli: '/usr/bin/aws', rclone: '/usr/bin/rclone', boto3: '/usr/bin/python3' }[p];
      if (!existsSync(bin)) console.error(`tree: ${p} is not installed (bash bench/setup-peers.sh); skipped`);
      return existsSync(bin);
    });
  const sink = await startSink();
  const work = await mkdtemp(path.join(tmpdir(), 'rx-s3-bench-tree-'));
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: sink.endpoint, S3_ENDPOINT: sink.endpoint, AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    RCLONE_CONFIG_SINK_TYPE: 's3', RCLONE_CONFIG_SINK_PROVIDER: 'Other', RCLONE_CONFIG_SINK_ENDPOINT: sink.endpoint,
    RCLONE_CONFIG_SINK_ACCESS_KEY_ID: 'bench', RCLONE_CONFIG_SINK_SECRET_ACCESS_KEY: 'bench', RCLONE_CONFIG_SINK_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_SINK_REGION: 'us-east-1',
  };
  delete process.env.AWS_CA_BUNDLE;
  const results: Array<{ peer: Peer; phase: Phase; files: number; bytes: number; report: JobReport }> = [];
  try {
    await sink.warmUp();
    const tree = path.join(work, 'tree');
    console.error(`tree: writing ${files} files of 4-64 KiB and ${big} of ${bigMiB} MiB...`);
    const made = await makeTree(tree, files, big, bigMiB);
    const total = { files: files + big, bytes: made.bytes };
    const changedFiles = made.small.filter((_, i) => i % 100 === 0);
    const run = async (peer: Peer, phase: Phase, moved: { files: number; bytes: number }, into = ''): Promise<void> => {
      const cmd = command(peer, phase, tree, into, peer, sink.endpoint);
      if (cmd === undefined) return;
      const report = await runProcess(`${peer}-${phase}`, '/usr/bin/python3', [MEASURE_CMD, '--job', `${peer}-${phase}`, '--bytes', String(moved.bytes), '--', ...cmd], env);
      results.push({ peer, phase, files: moved.files, bytes: moved.bytes, report });
      console.error(`tree: ${peer} ${phase}: ${fmt(report.wallSeconds, 2)} s, ${fmt(report.maxRSSKiB / 1024, 0)} MiB RSS`);
    };
    for (const peer of peers) await run(peer, 'upload', total);
    for (const peer of peers) await run(peer, 'noop', { files: 0, bytes: 0 });
    // 1 %: grow every 100th small file by one byte (size and mtime change).
    let grownBytes = 0;
    for (const rel of changedFiles) {
      await appendFile(path.join(tree, rel), 'x');
      grownBytes += (await stat(path.join(tree, rel))).size;
    }
    for (const peer of peers) await run(peer, 'changed', { files: changedFiles.length, bytes: grownBytes });
    for (const peer of peers) {
      const into = path.join(work, `down-${peer}`);
      await run(peer, 'download', total, into);
      const got = await filesAndBytes(into);
      if (got.files !== total.files) console.error(`tree: ${peer} download wrote ${got.files} files, not ${total.files}`);
      await rm(into, { recursive: true, force: true });
    }
  } finally {
    await sink.stop();
    await rm(work, { recursive: true, force: true });
  }
  const rows: string[][] = [];
  for (const phase of PHASES) {
    const rx = results.find((r) => r.peer === 'rx' && r.phase === phase);
    for (const r of results.filter((x) => x.phase === phase)) {
      const s = r.report.wallSeconds;
      rows.push([
        phase, r.peer, fmt(s, 2), r.files > 0 ? fmt(r.files / s, 0) : '-', r.bytes > 0 ? fmt(r.bytes / MiB / s, 1) : '-',
        fmt(r.report.cpuSeconds, 1), fmt(r.report.maxRSSKiB / 1024, 0), rx === undefined || r.peer === 'rx' ? '' : `${fmt(s / rx.report.wallSeconds, 2)}x`,
      ]);
    }
  }
  console.log(`\ntree: ${files} files of 4-64 KiB + ${big} x ${bigMiB} MiB, against the sink`);
  printTable(['phase', 'peer', 'wall s', 'files/s', 'MiB/s', 'CPU s', 'peak RSS MiB', 'rx-s3 speed-up'], rows);
  if (values.json !== undefined) await writeFile(values.json, JSON.stringify({ files, big, bigMiB, results }, null, 2));
}
