/** rx-s3 settings shared by the rx jobs, kept apart from job.ts so raw jobs never load lib/. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as RxS3Package from '../../lib/index';
import type { RxS3Options } from '../../lib/index';
import type { JobArgs, OpsArgs } from './job';

const compiled = path.join(__dirname, '..', '..', 'dist', 'index.js');
/**
 * rx-s3 as its users run it: the compiled package in dist/ (bench/run.ts builds it before any benchmark), not the
 * TypeScript sources through tsx (whose helpers add a call per closure created); the sources when there is no build.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rxs3 = require(existsSync(compiled) ? compiled : '../../lib/index') as typeof RxS3Package;
export const { RxS3, Ok } = rxs3;
export type RxS3 = RxS3Package.RxS3;

/** The `RxS3` options: the same endpoint, credentials and checksum settings as the raw jobs' S3Client. */
export function rxConfig(a: JobArgs | OpsArgs): RxS3Options {
  return {
    endpoint: a.endpoint,
    region: a.region,
    credentials: { ...a.credentials },
    forcePathStyle: a.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** `{ partSize?, concurrency? }`, only the ones given on the command line (else rx-s3's defaults). */
export function transferOptions(a: JobArgs): { partSize?: number; concurrency?: number } {
  return {
    ...(a.partSize === undefined ? {} : { partSize: a.partSize }),
    ...(a.concurrency === undefined ? {} : { concurrency: a.concurrency }),
  };
}
