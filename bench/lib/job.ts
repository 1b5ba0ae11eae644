/**
 * The job side of the harness: every `bench/jobs/*.ts` parses the same arguments, times its own work and
 * prints one JSON line ({@link JobReport}) on stdout.
 *
 *   node --import tsx bench/jobs/<job>.ts --endpoint URL --bucket B --key K --file PATH
 *        [--region R] [--path-style true|false] [--part-size BYTES] [--concurrency N]
 *
 * Credentials come from S3_ACCESS_KEY / S3_SECRET_KEY (not argv, where `ps` shows them).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';

export interface JobArgs {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
  readonly file: string;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly partSize: number | undefined;
  readonly concurrency: number | undefined;
}

/** What a job prints: its own wall time and CPU for the measured section, and its peak RSS. */
export interface JobReport {
  readonly job: string;
  readonly bytes: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRSSKiB: number;
}

export function jobArgs(): JobArgs {
  const { values: v } = parseArgs({
    options: {
      endpoint: { type: 'string' }, region: { type: 'string', default: 'us-east-1' },
      bucket: { type: 'string' }, key: { type: 'string' }, file: { type: 'string' },
      'path-style': { type: 'string', default: 'true' },
      'part-size': { type: 'string' }, concurrency: { type: 'string' },
    },
  });
  const need = (name: string, value: string | undefined): string => {
    if (!value) throw new Error(`--${name} is required`);
    return value;
  };
  const optionalNumber = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));
  return {
    endpoint: need('endpoint', v.endpoint), region: v.region ?? 'us-east-1',
    bucket: need('bucket', v.bucket), key: need('key', v.key), file: need('file', v.file),
    forcePathStyle: v['path-style'] !== 'false',
    credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' },
    partSize: optionalNumber(v['part-size']), concurrency: optionalNumber(v.concurrency),
  };
}

/** The raw SDK client every raw job uses. */
export function sdkClient(a: JobArgs): S3Client {
  return new S3Client({
    endpoint: a.endpoint, region: a.region, credentials: a.credentials, forcePathStyle: a.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Times `work` (which resolves the bytes it moved), prints the report line; any failure exits 1. */
export function runTimed(job: string, work: () => Promise<number>, cleanup: () => void = () => undefined): void {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  work()
    .then((bytes) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const report: JobReport = { job, bytes, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSSKiB: process.resourceUsage().maxRSS };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    })
    .catch((err: unknown) => {
      console.error(`${job} failed:`, err);
      process.exitCode = 1;
    })
    .finally(cleanup);
}
