/** `--count` sequential minio-js `statObject` of one key (after `--warm-up` untimed ones), each one timed. */
import { minioClient } from '../lib/minio';
import { opsArgs, runSequentialOps } from '../lib/job';

const args = opsArgs();
const client = minioClient(args);
const head = async (): Promise<void> => {
  await client.statObject(args.bucket, args.key);
};
runSequentialOps('minio-head', args, head);
