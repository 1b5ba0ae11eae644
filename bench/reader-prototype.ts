/**
 * `reader`: the lean socket reader (`getIntoFile`) against rx-s3's `downloadFile` (the SDK path), one file down
 * from the sink as ranged GETs, the three variants interleaved (their order turning each run). Each download runs
 * in its own process.
 *
 *   npm run bench -- reader [--size MiB] [--part-size MiB] [--concurrency N] [--runs N] [--json FILE]
 *
 * `lean+sdk` is the lean reader in a process that loaded the SDK and used it once (an application's process).
 * Prints medians of MB/s, client CPU-s/GiB and peak RSS, and the ratios to rx.
 */
import { rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startSink, tempPath } from './lib/env';
import { cpuPerGiB, fmt, killJobs, mbPerSecond, median, MiB, printTable, runJob } from './lib/measure';

const VARIANTS = ['lean', 'lean+sdk', 'rx'] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  readonly variant: Variant;
  readonly run: number;
  readonly mbPerSecond: number;
  readonly cpuSecondsPerGiB: number;
  readonly maxRSSMiB: number;
  readonly sinkCpuSecondsPerGiB: number;
}

export async function main(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '512' }, 'part-size': { type: 'string', default: '8' }, concurrency: { type: 'string', default: '4' },
      runs: { type: 'string', default: '5' }, json: { type: 'string' },
    },
  });
  const size = Number(o.size) * MiB;
  const partSize = Number(o['part-size']) * MiB;
  const runs = Number(o.runs);
  const concurrency = o.concurrency ?? '4';
  const sink = await startSink();
  const file = tempPath('reader');
  const env = { S3_ACCESS_KEY: 'bench', S3_SECRET_KEY: 'bench' };
  const onSignal = (): void => void (killJobs(), sink.stop()).finally(() => process.exit(130));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const samples: Sample[] = [];
  try {
    await sink.warmUp();
    const common = ['--endpoint', sink.endpoint, '--bucket', 'rx-s3-bench', '--key', `size-${size}`, '--file', file, '--part-size', String(partSize), '--concurrency', concurrency];
    console.error(`reader: ${size / MiB} MiB as ${partSize / MiB} MiB ranges x${concurrency}, ${runs} interleaved run(s), against the sink at ${sink.endpoint}`);
    for (let run = 1; run <= runs; run++) {
      // The order turns each run (lean, lean+sdk, rx / lean+sdk, rx, lean / ...): no variant always follows the same one.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + run - 1) % VARIANTS.length]!);
      for (const variant of order) {
        const before = await sink.stats();
        const r = variant === 'rx'
          ? await runJob('rx-download', common, env)
          : await runJob('lean-download', [...common, '--size', String(size), '--load-sdk', String(variant === 'lean+sdk')], env);
        const after = await sink.stats();
        await rm(file, { force: true });
        if (r.bytes !== size) throw new Error(`${r.job} moved ${r.bytes} bytes, expected ${size}`);
        const sample: Sample = {
          variant, run, mbPerSecond: mbPerSecond(r.bytes, r.wallSeconds), cpuSecondsPerGiB: cpuPerGiB(r.cpuSeconds, r.bytes),
          maxRSSMiB: r.maxRSSKiB / 1024, sinkCpuSecondsPerGiB: cpuPerGiB(after.cpuSeconds - before.cpuSeconds, r.bytes),
        };
        samples.push(sample);
        console.error(`  run ${run}/${runs} ${variant.padEnd(9)} ${fmt(sample.mbPerSecond).padStart(7)} MB/s  ${fmt(sample.cpuSecondsPerGiB, 2)} CPU-s/GiB  ${fmt(sample.maxRSSMiB, 0)} MiB  (sink ${fmt(sample.sinkCpuSecondsPerGiB, 2)} CPU-s/GiB)`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await rm(file, { force: true });
    await sink.stop();
  }
  const rows = VARIANTS.map((variant) => {
    const mine = samples.filter((s) => s.variant === variant);
    return {
      variant,
      mbPerSecond: median(mine.map((s) => s.mbPerSecond)),
      cpuSecondsPerGiB: median(mine.map((s) => s.cpuSecondsPerGiB)),
      maxRSSMiB: median(mine.map((s) => s.maxRSSMiB)),
      sinkCpuSecondsPerGiB: median(mine.map((s) => s.sinkCpuSecondsPerGiB)),
    };
  });
  const rx = rows.find((r) => r.variant === 'rx')!;
  console.log(`\nmedians of ${runs} (client CPU and RSS are the job process's; the sink's CPU is the server's during the job)`);
  printTable(['job', 'MB/s', 'CPU-s/GiB', 'peak RSS MiB', 'sink CPU-s/GiB', 'MB/s vs rx', 'CPU vs rx'], rows.map((r) => [
    r.variant, fmt(r.mbPerSecond), fmt(r.cpuSecondsPerGiB, 2), fmt(r.maxRSSMiB, 0), fmt(r.sinkCpuSecondsPerGiB, 2),
    `x${fmt(r.mbPerSecond / rx.mbPerSecond, 2)}`, `x${fmt(r.cpuSecondsPerGiB / rx.cpuSecondsPerGiB, 2)}`,
  ]));
  if (o.json) await writeFile(o.json, `${JSON.stringify({ benchmark: 'reader', date: new Date().toISOString(), node: process.version, sizeBytes: size, partSize, runs, samples, medians: rows }, null, 2)}\n`);
}
