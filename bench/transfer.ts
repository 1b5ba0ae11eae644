/**
 * `transfer`: one file up and down through the raw SDK (lib-storage Upload, one GetObject) and through
 * rx-s3 (uploadFile / downloadFile), interleaved raw, rx, raw, rx... Each transfer runs in its own process.
 *
 *   npm run bench -- transfer [--quick] [--size MiB] [--runs N] [--json FILE]
 *                             [--only raw|rx] [--direction upload|download] [--part-size MiB] [--concurrency N]
 *
 * Against the sink by default; set S3_ENDPOINT (+ S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION,
 * S3_FORCE_PATH_STYLE, optional S3_BUCKET) to use a real endpoint.
 */
import { CreateBucketCommand, DeleteObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { resolveTarget, tempPath, type Target, writeSourceFile } from './lib/env';
import { cpuPerGiB, fmt, killJobs, mbPerSecond, median, MiB, printTable, runJob } from './lib/measure';

const IMPLS = ['raw', 'rx'] as const;
const DIRECTIONS = ['upload', 'download'] as const;
type Impl = (typeof IMPLS)[number];
type Direction = (typeof DIRECTIONS)[number];

interface Sample {
  readonly impl: Impl;
  readonly direction: Direction;
  readonly run: number;
  readonly bytes: number;
  readonly wallSeconds: number;
  readonly mbPerSecond: number;
  readonly cpuSecondsPerGiB: number;
  readonly maxRSSMiB: number;
  /** The sink's own CPU during the job, per GiB (undefined against a real endpoint). */
  readonly sinkCpuSecondsPerGiB: number | undefined;
}

/** Keeps the values of a comma list that belong to `allowed`; all of `allowed` when the list is absent. */
function pick<T extends string>(list: string | undefined, allowed: readonly T[], flag: string): T[] {
  if (list === undefined) return [...allowed];
  const picked = list.split(',').map((s) => s.trim());
  for (const p of picked) if (!allowed.includes(p as T)) throw new Error(`--${flag}: expected ${allowed.join('|')}, got '${p}'`);
  return allowed.filter((a) => picked.includes(a));
}

/** A plain SDK client for the harness's own housekeeping on a real endpoint. */
function adminClient(t: Target): S3Client {
  return new S3Client({
    endpoint: t.endpoint, region: t.region, forcePathStyle: t.forcePathStyle,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function main(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false }, json: { type: 'string' },
      size: { type: 'string' }, runs: { type: 'string' },
      only: { type: 'string' }, direction: { type: 'string' },
      'part-size': { type: 'string' }, concurrency: { type: 'string' },
    },
  });
  const size = Number(o.size ?? (o.quick ? 64 : 512)) * MiB;
  const runs = Number(o.runs ?? (o.quick ? 1 : 3));
  if (!(size > 0) || !(runs >= 1)) throw new Error('--size and --runs must be positive numbers');
  const impls = pick(o.only, IMPLS, 'only');
  const directions = pick(o.direction, DIRECTIONS, 'direction');
  const rxOptions = [
    ...(o['part-size'] ? ['--part-size', String(Number(o['part-size']) * MiB)] : []),
    ...(o.concurrency ? ['--concurrency', o.concurrency] : []),
  ];

  const target = await resolveTarget();
  const bucket = process.env.S3_BUCKET ?? 'rx-s3-bench';
  const uploadKey = `rx-s3-bench/transfer-${size}`;
  // The sink serves `size-N` without an upload; a real endpoint serves what we uploaded.
  const downloadKey = target.sink ? `size-${size}` : uploadKey;
  const admin = target.sink ? undefined : adminClient(target);
  const source = tempPath('src');
  const destination = tempPath('dst');

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.allSettled([
      rm(source, { force: true }),
      rm(destination, { force: true }),
      admin?.send(new DeleteObjectCommand({ Bucket: bucket, Key: uploadKey })),
    ]);
    admin?.destroy();
    await target.sink?.stop();
  };
  const removeFilesNow = (): void => [source, destination].forEach((f) => rmSync(f, { force: true })); // even on a crash
  process.once('exit', removeFilesNow);
  const onSignal = (): void => void (killJobs(), cleanup()).finally(() => process.exit(130));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  try {
    if (admin) {
      await admin.send(new HeadBucketCommand({ Bucket: bucket })).catch(() => admin.send(new CreateBucketCommand({ Bucket: bucket })));
    }
    await writeSourceFile(source, size);
    await target.sink?.warmUp();
    console.error(`transfer: ${size / MiB} MiB, ${runs} run(s), ${impls.join('+')}, ${directions.join('+')}, against ${target.sink ? 'the sink at ' : ''}${target.endpoint}`);

    const common = ['--endpoint', target.endpoint, '--region', target.region, '--bucket', bucket, '--path-style', String(target.forcePathStyle)];
    const env = { S3_ACCESS_KEY: target.accessKeyId, S3_SECRET_KEY: target.secretAccessKey };
    const jobArgs = (impl: Impl, direction: Direction): string[] => [
      ...common,
      ...(direction === 'upload' ? ['--key', uploadKey, '--file', source] : ['--key', downloadKey, '--file', destination]),
      ...(impl === 'rx' ? rxOptions : []),
    ];
    if (admin && !directions.includes('upload')) await runJob('raw-upload', jobArgs('raw', 'upload'), env); // untimed

    const samples: Sample[] = [];
    for (let run = 1; run <= runs; run++) {
      for (const direction of directions) {
        for (const impl of impls) {
          const before = await target.sink?.stats();
          const r = await runJob(`${impl}-${direction}`, jobArgs(impl, direction), env);
          const after = await target.sink?.stats();
          if (direction === 'download') await rm(destination, { force: true });
          if (r.bytes !== size) throw new Error(`${r.job} moved ${r.bytes} bytes, expected ${size}`);
          const sinkBytes = before && after ? (direction === 'upload' ? after.bytesIn - before.bytesIn : after.bytesOut - before.bytesOut) : size;
          if (sinkBytes < size) throw new Error(`${r.job}: the sink saw only ${sinkBytes} bytes`);
          const sample: Sample = {
            impl, direction, run, bytes: r.bytes, wallSeconds: r.wallSeconds,
            mbPerSecond: mbPerSecond(r.bytes, r.wallSeconds), cpuSecondsPerGiB: cpuPerGiB(r.cpuSeconds, r.bytes),
            maxRSSMiB: r.maxRSSKiB / 1024,
            sinkCpuSecondsPerGiB: before && after ? cpuPerGiB(after.cpuSeconds - before.cpuSeconds, r.bytes) : undefined,
          };
          samples.push(sample);
          const sinkNote = sample.sinkCpuSecondsPerGiB === undefined ? '' : `  (sink ${fmt(sample.sinkCpuSecondsPerGiB, 2)} CPU-s/GiB)`;
          console.error(`  run ${run}/${runs} ${r.job.padEnd(12)} ${fmt(sample.mbPerSecond).padStart(7)} MB/s  ${fmt(sample.cpuSecondsPerGiB, 2)} CPU-s/GiB  ${fmt(sample.maxRSSMiB, 0)} MiB${sinkNote}`);
        }
      }
    }
    const summary = report(samples, directions, impls);
    if (o.json) {
      const doc = { benchmark: 'transfer', date: new Date().toISOString(), node: process.version, endpoint: target.sink ? 'sink' : target.endpoint, sizeBytes: size, runs, samples, summary };
      await writeFile(o.json, `${JSON.stringify(doc, null, 2)}\n`);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', removeFilesNow);
    await cleanup();
  }
}

interface Row {
  readonly name: string;
  readonly mbPerSecond: number;
  readonly cpuSecondsPerGiB: number;
  readonly maxRSSMiB: number;
  readonly sinkCpuSecondsPerGiB: number;
}

/** Prints medians per (direction, impl) and rx/raw ratios per direction; returns the rows. */
function report(samples: readonly Sample[], directions: readonly Direction[], impls: readonly Impl[]): Row[] {
  const rows: Row[] = [];
  const ratios: Row[] = [];
  for (const direction of directions) {
    const byImpl = new Map<Impl, Row>();
    for (const impl of impls) {
      const mine = samples.filter((s) => s.impl === impl && s.direction === direction);
      const row: Row = {
        name: `${impl} ${direction}`,
        mbPerSecond: median(mine.map((s) => s.mbPerSecond)),
        cpuSecondsPerGiB: median(mine.map((s) => s.cpuSecondsPerGiB)),
        maxRSSMiB: median(mine.map((s) => s.maxRSSMiB)),
        sinkCpuSecondsPerGiB: median(mine.flatMap((s) => (s.sinkCpuSecondsPerGiB === undefined ? [] : [s.sinkCpuSecondsPerGiB]))),
      };
      byImpl.set(impl, row);
      rows.push(row);
    }
    const raw = byImpl.get('raw');
    const rx = byImpl.get('rx');
    if (raw && rx) {
      ratios.push({
        name: `rx/raw ${direction}`,
        mbPerSecond: rx.mbPerSecond / raw.mbPerSecond, cpuSecondsPerGiB: rx.cpuSecondsPerGiB / raw.cpuSecondsPerGiB,
        maxRSSMiB: rx.maxRSSMiB / raw.maxRSSMiB, sinkCpuSecondsPerGiB: NaN,
      });
    }
  }
  console.log('\nmedians (client CPU and RSS are the job process\'s; sink CPU is the server\'s during the job)');
  printTable(
    ['job', 'MB/s', 'CPU-s/GiB', 'peak RSS MiB', 'sink CPU-s/GiB'],
    [
      ...rows.map((r) => [r.name, fmt(r.mbPerSecond), fmt(r.cpuSecondsPerGiB, 2), fmt(r.maxRSSMiB, 0), fmt(r.sinkCpuSecondsPerGiB, 2)]),
      ...ratios.map((r) => [r.name, `x${fmt(r.mbPerSecond, 2)}`, `x${fmt(r.cpuSecondsPerGiB, 2)}`, `x${fmt(r.maxRSSMiB, 2)}`, '']),
    ],
  );
  return [...rows, ...ratios];
}
