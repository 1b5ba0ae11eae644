/**
 * Benchmark entry point: `node --import tsx bench/run.ts <benchmark> [options]` (`npm run bench -- <benchmark>`).
 * Each benchmark is a module exporting `main(argv)`; add new ones to the registry below.
 */
interface Benchmark {
  readonly summary: string;
  readonly load: () => Promise<{ main(argv: string[]): Promise<void> }>;
}

const benchmarks: Record<string, Benchmark> = {
  transfer: { summary: 'a file up and down, rx-s3 vs the raw SDK (MB/s, CPU-s/GiB, RSS)', load: () => import('./transfer.js') },
};

async function run(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // Node 20 nag from the SDK
  const [name, ...rest] = process.argv.slice(2);
  const bench = name === undefined ? undefined : benchmarks[name];
  if (!bench) {
    console.error('usage: node --import tsx bench/run.ts <benchmark> [options]\n\nbenchmarks:');
    for (const [n, b] of Object.entries(benchmarks)) console.error(`  ${n.padEnd(12)} ${b.summary}`);
    process.exitCode = 2;
    return;
  }
  await (await bench.load()).main(rest);
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
