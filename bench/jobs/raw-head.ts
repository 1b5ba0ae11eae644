/** `--count` sequential raw HeadObject of one key (after `--warm-up` untimed ones), each one timed. */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { opsArgs, runSequentialOps, sdkClient } from '../lib/job';

const args = opsArgs();
const client = sdkClient(args);
const head = async (): Promise<void> => {
  await client.send(new HeadObjectCommand({ Bucket: args.bucket, Key: args.key }));
};
runSequentialOps('raw-head', args, head, () => client.destroy());
