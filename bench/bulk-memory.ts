/**
 * `bulk-memory`: does a bulk job's memory stay flat as the number of keys grows? A sync, S3 to S3 on the sink, of
 * two prefixes holding the same N synthetic keys (`POST /_sink/populate`): both listings are streamed page by page
 * and merged, every key compared. Peak RSS (VmHWM) of the job's process at each N; each N in a fresh process.
 *
 *   npm run bench -- bulk-memory [--counts 10000,100000,1000000]
 */
import { parseArgs } from 'node:util';
import { startSink } from './lib/env';
import { fmt, printTable, runJob } from './lib/measure';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { counts: { type: 'string', default: '10000,100000,1000000' } } });
  const counts = values.counts.split(',').map(Number);
  const sink = await startSink();
  const rows: string[][] = [];
  try {
    for (const count of counts) {
      const prefix = `n${count}/`;
      for (const side of ['src/', 'dst/']) {
        const res = await fetch(`${sink.endpoint}/_sink/populate?bucket=bench-memory&prefix=${encodeURIComponent(prefix + side)}&count=${count}&size=1`, { method: 'POST' });
        if (!res.ok) throw new Error(`populate failed: ${res.status}`);
      }
      const report = await runJob('rx-bulk-memory', ['--endpoint', sink.endpoint, '--bucket', 'bench-memory', '--prefix', prefix, '--count', String(count)], { S3_ACCESS_KEY: 'bench', S3_SECRET_KEY: 'bench' });
      rows.push([count.toLocaleString('en-US'), fmt(report.wallSeconds, 1), fmt(count / report.wallSeconds, 0), fmt(report.maxRSSKiB / 1024, 0)]);
      console.error(`bulk-memory: ${count} keys: ${fmt(report.wallSeconds, 1)} s, ${fmt(report.maxRSSKiB / 1024, 0)} MiB`);
    }
  } finally {
    await sink.stop();
  }
  console.log('\nbulk-memory: sync S3 to S3 of two prefixes of N equal keys (both listings merged), on the sink');
  printTable(['keys per side', 'wall s', 'keys/s', 'peak RSS MiB'], rows);
}
