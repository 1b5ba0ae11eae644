/**
 * Benchmark entry point: `node --import tsx bench/run.ts [<benchmark>] [options]` (`npm run bench -- <benchmark>`).
 * Without a benchmark name it runs `peers`, the whole comparison (`npm run bench`, `npm run bench -- --quick`).
 * Each benchmark is a module exporting `main(argv)`; add new ones to the registry below.
 */
import { spawnSync } from 'node:child_process';

interface Benchmark {
  readonly summary: string;
  readonly load: () => Promise<{ main(argv: string[]): Promise<void> }>;
}

const benchmarks: Record<string, Benchmark> = {
  peers: { summary: 'rx-s3 vs the raw SDK, boto3, the AWS CLI and minio-js: transfers, listing, HEAD latency, small puts, RSS (the default)', load: () => import('./peers.js') },
  transfer: { summary: 'a file up and down, rx-s3 vs the raw SDK (MB/s, CPU-s/GiB, RSS)', load: () => import('./transfer.js') },
  'bulk-memory': { summary: 'peak RSS of a sync merging two listings of 10k, 100k and 1M keys (flat memory)', load: () => import('./bulk-memory.js') },
  tree: { summary: 'a directory tree up, down and re-synced: rx-s3 sync / cp -r vs aws s3 sync, rclone and boto3', load: () => import('./tree.js') },
  reader: { summary: 'the lean socket reader (getIntoFile) vs rx-s3 downloadFile: 512 MiB as 8 MiB ranges x4 (MB/s, CPU-s/GiB, RSS)', load: () => import('./reader-prototype.js') },
  listing: { summary: 'huge listings: listObjects, walkObjects, forEachObject vs the SDK paginator, to 10,000,000 keys and with 50 ms latency', load: () => import('./listing.js') },
};

async function run(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // Node 20 nag from the SDK
  const argv = process.argv.slice(2);
  // No benchmark name (nothing, or options only): the whole peers comparison.
  const help = argv[0] === '--help' || argv[0] === '-h';
  const [name, ...rest] = !help && (argv[0] === undefined || argv[0].startsWith('--')) ? ['peers', ...argv] : argv;
  const bench = help || name === undefined ? undefined : benchmarks[name];
  if (!bench) {
    console.error('usage: npm run bench [-- [<benchmark>] [options]]   (no benchmark: peers)\n\nbenchmarks:');
    for (const [n, b] of Object.entries(benchmarks)) console.error(`  ${n.padEnd(12)} ${b.summary}`);
    process.exitCode = 2;
    return;
  }
  // The jobs run rx-s3 as its users do, compiled (bench/lib/rx.ts): build it from the sources of this run first.
  const built = spawnSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error('npm run build failed: the benchmarks run the compiled package');
  await (await bench.load()).main(rest);
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
