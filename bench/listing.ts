/**
 * Huge listings (`npm run bench -- listing`): rx-s3's `listObjects`, `walkObjects` and `forEachObject` against the
 * SDK's paginator, on the sink's synthetic listings (keys computed on demand, so any size costs the sink no memory).
 *
 *   npm run bench -- listing [--sizes 100000,1000000,10000000] [--raw-max N] [--each-keys N] [--latency-ms 50]
 *                            [--latency-keys 200000] [--latency-prefixes 200] [--only memory,each,latency]
 *                            [--markdown FILE] [--json FILE]
 *
 * - memory: each listing client at each size, in a fresh process: keys/s, CPU-ms per 1,000 keys, peak RSS, and
 *   the peak-RSS growth from the smallest to the largest size. The raw SDK runs up to `--raw-max` keys (default
 *   1,000,000: at 10,000,000 it takes several minutes on a shared 2-core machine).
 * - each: `forEachObject` with a 1 ms async task per key (100 at once) over `--each-keys` keys, against the naive
 *   `listObjects` + `mergeMap(task, 100)`: the keys listed but not done at worst, and peak RSS.
 * - latency: a second sink answering every request after `--latency-ms`; `--latency-keys` keys over
 *   `--latency-prefixes` directories: sequential listings against `walkObjects` with 8 listings in flight.
 *
 * The machine may be shared: compare ratios within one run, not absolute figures across runs.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startSink, type Sink } from './lib/env';
import type { JobReport } from './lib/job';
import { fmt, printTable, runJob } from './lib/measure';

interface Row {
  readonly table: string;
  readonly client: string;
  readonly keys: number;
  readonly report: JobReport & { readonly maxInHandKeys?: number };
  readonly serverCpuSeconds: number;
}

const CLIENTS: Record<string, { readonly label: string; readonly args: readonly string[] }> = {
  'rx-list': { label: 'rx-s3 listObjects', args: ['--mode', 'rx-list'] },
  'raw-list': { label: 'raw SDK paginateListObjectsV2', args: ['--mode', 'raw-list'] },
  'rx-walk': { label: 'rx-s3 walkObjects, 8 in flight, by prefix', args: ['--mode', 'rx-walk', '--concurrency', '8', '--split', 'prefixes'] },
  'rx-walk-ranges': { label: 'rx-s3 walkObjects, 8 in flight, 32 sampled ranges', args: ['--mode', 'rx-walk', '--concurrency', '8', '--split', 'ranges'] },
  'rx-each': { label: 'rx-s3 forEachObject, 1 ms task, 100 at once', args: ['--mode', 'rx-each', '--concurrency', '100', '--task-ms', '1'] },
  'rx-mergemap': { label: 'listObjects + mergeMap(1 ms task, 100)', args: ['--mode', 'rx-mergemap', '--concurrency', '100', '--task-ms', '1'] },
};

export async function main(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '100000,1000000,10000000' },
      'raw-max': { type: 'string', default: '1000000' },
      'each-keys': { type: 'string', default: '1000000' },
      'latency-ms': { type: 'string', default: '50' },
      'latency-keys': { type: 'string', default: '200000' },
      'latency-prefixes': { type: 'string', default: '200' },
      only: { type: 'string', default: 'memory,each,latency' },
      markdown: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const only = new Set(o.only?.split(','));
  const sizes = (o.sizes ?? '').split(',').map(Number);
  const rows: Row[] = [];
  const started = new Date().toISOString();

  const run = async (sink: Sink, table: string, client: string, bucket: string, keys: number): Promise<void> => {
    const before = await sink.stats();
    const report = await runJob('list-huge', ['--endpoint', sink.endpoint, '--bucket', bucket, '--expect', String(keys), ...CLIENTS[client]!.args]);
    const after = await sink.stats();
    const row = { table, client, keys, report, serverCpuSeconds: after.cpuSeconds - before.cpuSeconds };
    rows.push(row);
    console.error(`${table}: ${CLIENTS[client]!.label}: ${keys} keys in ${fmt(report.wallSeconds, 1)} s, CPU ${fmt(report.cpuSeconds, 1)} s, peak RSS ${fmt(report.maxRSSKiB / 1024, 0)} MiB`);
  };
  const synthetic = async (sink: Sink, bucket: string, count: number, prefixes: number): Promise<void> => {
    const res = await fetch(`${sink.endpoint}/_sink/synthetic?bucket=${bucket}&count=${count}&prefixes=${prefixes}`, { method: 'POST' });
    if (!res.ok) throw new Error(`sink refused the synthetic bucket: ${res.status}`);
  };

  const plain = await startSink();
  try {
    if (only.has('memory')) {
      for (const size of sizes) {
        const bucket = `synthetic-${size}`;
        await synthetic(plain, bucket, size, 100);
        for (const client of ['rx-list', 'raw-list', 'rx-walk']) {
          if (client === 'raw-list' && size > Number(o['raw-max'])) continue;
          await run(plain, `memory ${size}`, client, bucket, size);
        }
      }
    }
    if (only.has('each')) {
      const keys = Number(o['each-keys']);
      await synthetic(plain, 'synthetic-each', keys, 100);
      for (const client of ['rx-each', 'rx-mergemap']) await run(plain, 'each', client, 'synthetic-each', keys);
    }
  } finally {
    await plain.stop();
  }
  if (only.has('latency')) {
    const slow = await startSink(['--latency-ms', String(o['latency-ms'])]);
    try {
      const keys = Number(o['latency-keys']);
      await synthetic(slow, 'synthetic-latency', keys, Number(o['latency-prefixes']));
      for (const client of ['rx-list', 'raw-list', 'rx-walk', 'rx-walk-ranges']) await run(slow, 'latency', client, 'synthetic-latency', keys);
    } finally {
      await slow.stop();
    }
  }

  const tables = render(rows, sizes, Number(o['latency-ms']));
  for (const t of tables) {
    console.log(`\n${t.title}\n`);
    printTable(t.header, t.rows);
  }
  const meta = `${started}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`;
  if (o.markdown) {
    const md = [`<!-- npm run bench -- listing ${argv.join(' ')} -->`, '', meta, ''];
    for (const t of tables) md.push(`#### ${t.title}`, '', `| ${t.header.join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...t.rows.map((r) => `| ${r.join(' | ')} |`), '');
    await writeFile(o.markdown, md.join('\n'));
  }
  if (o.json) await writeFile(o.json, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
}

function render(rows: readonly Row[], sizes: readonly number[], latencyMs: number): Array<{ title: string; header: string[]; rows: string[][] }> {
  const keysPerSecond = (r: Row): number => r.keys / r.report.wallSeconds;
  const cpuPer1k = (r: Row): number => (1000 * r.report.cpuSeconds) / (r.keys / 1000);
  const rss = (r: Row | undefined): number => (r === undefined ? NaN : r.report.maxRSSKiB / 1024);
  const find = (table: string, client: string): Row | undefined => rows.find((r) => r.table === table && r.client === client);
  const out: Array<{ title: string; header: string[]; rows: string[][] }> = [];
  const memory = rows.filter((r) => r.table.startsWith('memory'));
  if (memory.length > 0) {
    out.push({
      title: 'sink: listing throughput and memory by size (each a fresh process)',
      header: ['client', 'keys', 'keys/s', 'CPU-ms per 1k keys', 'sink CPU-ms per 1k keys', 'peak RSS MiB', 'keys/s ÷ raw SDK (same size)'],
      rows: memory.map((r) => {
        const raw = find(r.table, 'raw-list');
        return [CLIENTS[r.client]!.label, r.keys.toLocaleString('en-US'), fmt(keysPerSecond(r), 0), fmt(cpuPer1k(r), 1), fmt((1000 * r.serverCpuSeconds) / (r.keys / 1000), 1), fmt(rss(r), 0), raw === undefined ? '-' : `${fmt(keysPerSecond(r) / keysPerSecond(raw), 2)}x`];
      }),
    });
    const smallest = Math.min(...sizes);
    out.push({
      title: `sink: peak RSS growth from ${smallest.toLocaleString('en-US')} keys`,
      header: ['client', ...sizes.filter((s) => s !== smallest).map((s) => `growth to ${s.toLocaleString('en-US')} keys, MiB`)],
      rows: ['rx-list', 'raw-list', 'rx-walk'].map((client) => [
        CLIENTS[client]!.label,
        ...sizes.filter((s) => s !== smallest).map((s) => fmt(rss(find(`memory ${s}`, client)) - rss(find(`memory ${smallest}`, client)), 1)),
      ]),
    });
  }
  const each = rows.filter((r) => r.table === 'each');
  if (each.length > 0) {
    out.push({
      title: 'sink: a 1 ms async task per key, 100 at once',
      header: ['pipeline', 'keys', 'keys/s', 'keys listed but not done, at worst', 'peak RSS MiB'],
      rows: each.map((r) => [CLIENTS[r.client]!.label, r.keys.toLocaleString('en-US'), fmt(keysPerSecond(r), 0), String(r.report.maxInHandKeys ?? '-'), fmt(rss(r), 0)]),
    });
  }
  const latency = rows.filter((r) => r.table === 'latency');
  if (latency.length > 0) {
    const sequential = find('latency', 'rx-list');
    out.push({
      title: `sink with ${latencyMs} ms added to every request: ${(latency[0]?.keys ?? 0).toLocaleString('en-US')} keys`,
      header: ['client', 'keys/s', 'wall s', 'CPU-ms per 1k keys', '÷ sequential rx-s3 listObjects'],
      rows: latency.map((r) => [CLIENTS[r.client]!.label, fmt(keysPerSecond(r), 0), fmt(r.report.wallSeconds, 1), fmt(cpuPer1k(r), 1), sequential === undefined ? '-' : `${fmt(keysPerSecond(r) / keysPerSecond(sequential), 2)}x`]),
    });
  }
  return out;
}
