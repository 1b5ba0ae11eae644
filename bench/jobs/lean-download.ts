/**
 * Download through the lean socket reader (lib/internal/lean/socket-reader.ts): ranged GETs signed with the SDK's
 * SignatureV4, `--concurrency` in flight, each written straight into the file at its offset. `--load-sdk true`
 * first loads the SDK and sends one HeadObject with it, as an application using rx-s3 would have it in memory;
 * without it the process never loads the SDK (@smithy/signature-v4 only).
 */
import { readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { getIntoFile, readerCounters, SocketPool, type SignedGet } from '../../lib/internal/lean/socket-reader';

// Not bench/lib/job.ts: it imports the SDK, and `lean` must run without it (`--load-sdk true` loads it on purpose).
/** Times `work` and prints the job report line, as bench/lib/job.ts `runTimed` does (peak RSS from VmHWM). */
function runTimed(job: string, work: () => Promise<number>, cleanup: () => void): void {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  work()
    .then((bytes) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const hwm = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      const maxRSSKiB = hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
      process.stdout.write(`${JSON.stringify({ job, bytes, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSSKiB })}\n`);
    })
    .catch((err: unknown) => {
      console.error(`${job} failed:`, err);
      process.exitCode = 1;
    })
    .finally(cleanup);
}

const { values: v } = parseArgs({
  options: {
    endpoint: { type: 'string' }, region: { type: 'string', default: 'us-east-1' }, bucket: { type: 'string' }, key: { type: 'string' },
    file: { type: 'string' }, 'part-size': { type: 'string', default: String(8 * 1024 * 1024) }, concurrency: { type: 'string', default: '4' },
    size: { type: 'string' }, 'load-sdk': { type: 'string', default: 'false' }, 'path-style': { type: 'string', default: 'true' },
  },
});
const endpoint = new URL(v.endpoint ?? '');
const bucket = v.bucket ?? '';
const key = v.key ?? '';
const file = v.file ?? '';
const partSize = Number(v['part-size']);
const concurrency = Number(v.concurrency);
const size = Number(v.size);
const credentials = { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' };
const signer = new SignatureV4({ credentials, region: v.region ?? 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
const pool = new SocketPool({ maxSockets: concurrency });
const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

async function sign(range: string): Promise<SignedGet> {
  const signed = await signer.sign({
    method: 'GET', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path, query: {},
    headers: { host: endpoint.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', range },
  });
  return { host: endpoint.hostname, port: Number(endpoint.port), path, headers: signed.headers };
}

async function loadSdk(): Promise<void> {
  const { S3Client, HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: v.endpoint, region: v.region, credentials, forcePathStyle: v['path-style'] !== 'false' });
  await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  client.destroy();
}

async function main(): Promise<void> {
  if (v['load-sdk'] === 'true') await loadSdk();
  runTimed(v['load-sdk'] === 'true' ? 'lean+sdk-download' : 'lean-download', async () => {
    const cpu0 = process.cpuUsage();
    const handle = await open(file, 'w');
    const signal = new AbortController().signal;
    let next = 0;
    let progress = 0;
    try {
      const worker = async (): Promise<void> => {
        while (next < size) {
          const start = next;
          const end = Math.min(size, start + partSize);
          next = end;
          const result = await getIntoFile(pool, await sign(`bytes=${start}-${end - 1}`), { fd: handle.fd, position: start, path: file, maxBytes: end - start },
            (bytes) => (progress += bytes), signal, { connectMs: 10_000, idleMs: 30_000 });
          if (result.status !== 206 || result.written !== end - start) throw new Error(`range ${start}-${end - 1}: status ${result.status}, ${result.written} bytes`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      await handle.close();
    }
    const cpu = process.cpuUsage(cpu0);
    if (process.env.LEAN_COUNTERS === '1') console.error(`user ${cpu.user / 1e6} s, system ${cpu.system / 1e6} s`);
    if (progress !== size) throw new Error(`progress ${progress} != ${size}`);
    return (await stat(file)).size;
  }, () => {
    pool.destroy();
    if (process.env.LEAN_COUNTERS === '1') console.error(JSON.stringify({ ...readerCounters, avgReadKiB: Math.round(readerCounters.readBytes / readerCounters.reads / 1024) }));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
