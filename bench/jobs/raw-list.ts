/** List every key under `--prefix` with the SDK's `paginateListObjectsV2`, counting keys. */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { opsArgs, runTimedOps, sdkClient } from '../lib/job';

const args = opsArgs();
const client = sdkClient(args);
runTimedOps('raw-list', async () => undefined, async () => {
  let keys = 0;
  for await (const page of paginateListObjectsV2({ client }, { Bucket: args.bucket, Prefix: args.prefix })) keys += page.Contents?.length ?? 0;
  return { ops: keys };
}, () => client.destroy());
