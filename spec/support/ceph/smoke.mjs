// Quick end-to-end check of the Ceph RGW started by start-rgw.sh, with the plain AWS SDK (no rx-s3).
//
//   eval "$(spec/support/ceph/start-rgw.sh)" && node spec/support/ceph/smoke.mjs
//
// Run it from the repository root so that node_modules resolve. Exits non-zero on the first failed
// check; also prints what the server did on the points where S3 servers differ ("observed").
import { createHash, randomBytes } from 'node:crypto';
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteBucketCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  ListBucketsCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: eval "$(spec/support/ceph/start-rgw.sh)" first`);
  return value;
};
const endpoint = env('S3_ENDPOINT');
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(endpoint)) {
  throw new Error(`refusing a non-loopback endpoint: ${endpoint}`);
}

const clientWith = (secretAccessKey, accessKeyId = env('S3_ACCESS_KEY')) =>
  new S3Client({
    endpoint,
    region: env('S3_REGION'),
    credentials: { accessKeyId, secretAccessKey },
    forcePathStyle: true,
    // The SDK's default (WHEN_SUPPORTED) sends aws-chunked bodies with trailing CRC32 that RGW 16
    // rejects (411 MissingContentLength): only compute checksums when an operation requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
const s3 = clientWith(env('S3_SECRET_KEY'));

let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) failures++;
};
const observed = (what, value) => console.log(`     observed: ${what}: ${JSON.stringify(value)}`);
const errorOf = async (promise) => {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
};
const md5 = (buf) => createHash('md5').update(buf).digest();
const bucket = `rx-s3-smoke-${Date.now().toString(36)}`;
const t0 = Date.now();

// --- bucket ------------------------------------------------------------------------------------
await s3.send(new CreateBucketCommand({ Bucket: bucket }));
check(true, `CreateBucket ${bucket}`);
const again = await errorOf(s3.send(new CreateBucketCommand({ Bucket: bucket })));
observed('CreateBucket on a bucket we already own', again ?? 'succeeds (200)');
const buckets = await s3.send(new ListBucketsCommand({}));
check(buckets.Buckets?.some((b) => b.Name === bucket), 'ListBuckets shows it');

// --- single object -----------------------------------------------------------------------------
const body = Buffer.from('hello from rx-s3\n');
const put = await s3.send(
  new PutObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt', Body: body, ContentType: 'text/plain' }),
);
check(put.ETag === `"${md5(body).toString('hex')}"`, 'PutObject ETag is the MD5', put.ETag);
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
const gotBody = Buffer.from(await got.Body.transformToByteArray());
check(gotBody.equals(body), 'GetObject returns the bytes');
check(got.ContentType === 'text/plain', 'GetObject keeps Content-Type', got.ContentType);
const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/' }));
check(list.KeyCount === 1 && list.Contents?.[0]?.Key === 'dir/hello.txt', 'ListObjectsV2 lists it');
const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
check(listed.CommonPrefixes?.[0]?.Prefix === 'dir/', 'ListObjectsV2 with Delimiter gives CommonPrefixes');

// Checksums: RGW 16 ignores x-amz-checksum-*; it does verify Content-MD5.
const withSha = await s3.send(
  new PutObjectCommand({ Bucket: bucket, Key: 'sha.txt', Body: body, ChecksumAlgorithm: 'SHA256' }),
);
observed('PutObject with ChecksumAlgorithm SHA256 returns ChecksumSHA256', withSha.ChecksumSHA256 ?? null);
const badMd5 = await errorOf(
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad.txt', Body: body, ContentMD5: md5(Buffer.from('x')).toString('base64') })),
);
check(badMd5?.name === 'BadDigest', 'PutObject with a wrong Content-MD5 fails', JSON.stringify(badMd5));

await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
const gone = await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' })));
check(gone?.name === 'NoSuchKey' && gone.status === 404, 'DeleteObject, then GetObject is NoSuchKey', gone?.name);
const delMissing = await errorOf(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'never-existed' })));
check(delMissing === undefined, 'DeleteObject of a missing key succeeds (204)');

// --- multipart upload --------------------------------------------------------------------------
const part1 = randomBytes(5 * 1024 * 1024); // 5 MiB: the minimum for all parts but the last
const part2 = randomBytes(1024 * 1024 + 7);
const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu.bin' }));
const etags = [];
for (const [i, part] of [part1, part2].entries()) {
  const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mpu.bin', UploadId, PartNumber: i + 1, Body: part }));
  etags.push(r.ETag);
}
const completed = await s3.send(
  new CompleteMultipartUploadCommand({
    Bucket: bucket,
    Key: 'mpu.bin',
    UploadId,
    MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
  }),
);
const expectedEtag = `"${md5(Buffer.concat([md5(part1), md5(part2)])).toString('hex')}-2"`;
observed('CompleteMultipartUpload ETag', completed.ETag ?? null);
const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mpu.bin' }));
check(head.ETag === expectedEtag, 'HeadObject after multipart has the "md5-of-md5s-N" ETag', head.ETag);
check(head.ContentLength === part1.length + part2.length, 'multipart object length', String(head.ContentLength));
const mpuBody = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'mpu.bin' }))).Body.transformToByteArray());
check(mpuBody.equals(Buffer.concat([part1, part2])), 'multipart object bytes');

// --- DeleteObjects: S3 requires an integrity header; the SDK (WHEN_REQUIRED) sends a CRC32 ----------
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a', Body: 'a' }));
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'b', Body: 'b' }));
const plainDelete = await errorOf(
  s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'a' }], Quiet: true } })),
);
observed('DeleteObjects with only the SDK default x-amz-checksum-crc32 (no Content-MD5)', plainDelete ?? 'succeeds');
// Same request with a Content-MD5 header added by a middleware after the body is serialized.
const withMd5 = clientWith(env('S3_SECRET_KEY'));
withMd5.middlewareStack.add(
  (next) => async (args) => {
    const req = args.request;
    if (typeof req.body === 'string' || req.body instanceof Uint8Array) {
      req.headers['content-md5'] = md5(Buffer.from(req.body)).toString('base64');
    }
    return next(args);
  },
  { step: 'build', name: 'addContentMd5', priority: 'low' },
);
const md5Delete = await withMd5.send(
  new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }, { Key: 'missing' }] } }),
);
check(!md5Delete.Errors?.length, 'DeleteObjects with Content-MD5', JSON.stringify(md5Delete.Deleted?.map((d) => d.Key)));
const quietDelete = await withMd5.send(
  new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'sha.txt' }], Quiet: true } }),
);
observed('DeleteObjects Quiet=true lists deleted keys', quietDelete.Deleted?.map((d) => d.Key) ?? []);

// --- credentials -------------------------------------------------------------------------------
const wrongSecret = await errorOf(clientWith('not-the-secret').send(new ListObjectsV2Command({ Bucket: bucket })));
check(wrongSecret?.status === 403, 'wrong secret key is rejected with 403', wrongSecret?.name);
const wrongKey = await errorOf(clientWith('x', 'NOSUCHACCESSKEY').send(new ListObjectsV2Command({ Bucket: bucket })));
check(wrongKey?.status === 403, 'unknown access key is rejected with 403', wrongKey?.name);

// --- presigned GET expiry ----------------------------------------------------------------------
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'presigned.txt', Body: body }));
// X-Amz-Date has whole seconds: a 1 s URL signed late in a second can already be expired a few ms
// later (seen 2 times in 20 runs). Sign at the start of a second so the "works at once" check holds.
await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned.txt' }), { expiresIn: 1 });
if (!url.startsWith(endpoint)) throw new Error(`presigned URL is not on the endpoint: ${url}`);
const fresh = await fetch(url);
check(fresh.status === 200 && Buffer.from(await fresh.arrayBuffer()).equals(body), 'presigned GET works at once', String(fresh.status));
await new Promise((resolve) => setTimeout(resolve, 2000));
const expired = await fetch(url);
const expiredText = await expired.text();
check(expired.status === 403, 'presigned GET (expiresIn 1 s) is rejected after 2 s', `${expired.status} ${expiredText.match(/<Code>(.*?)<\/Code>/)?.[1]}`);

// --- clean up ----------------------------------------------------------------------------------
await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'mpu.bin' }));
await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'presigned.txt' }));
await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
const noBucket = await errorOf(s3.send(new ListObjectsV2Command({ Bucket: bucket })));
check(noBucket?.name === 'NoSuchBucket', 'DeleteBucket, then NoSuchBucket', noBucket?.name);

console.log(`${failures ? `${failures} check(s) FAILED` : 'all checks passed'} in ${Date.now() - t0} ms`);
process.exitCode = failures ? 1 : 0;
