/** rx-s3 settings shared by the rx jobs, kept apart from job.ts so raw jobs never load lib/. */
import type { RxS3Options } from '../../lib/index';
import type { JobArgs, OpsArgs } from './job';

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
