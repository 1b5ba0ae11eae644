import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CompleteMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { RxS3, type Result, type RxS3Options, type S3Error } from '../../lib';
import { main } from '../../lib/cli/main';
import { cliEnv } from '../cli/support';
import { bytes, collect, commandNames, expectRejectedLocally, interceptSend, spySend, useBucket, useTempDir } from '../support/fixtures';
import { makeClient, rxOptions } from '../support/server';

const MiB = 1024 * 1024;
const MISSING_BUCKET = 'rxs3-no-such-bucket-9c1';

/** Runs the CLI in this process (so sinon reaches its client) and collects what it printed. */
async function runCliHere(args: readonly string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  // The SDK's credential chain reads process.env itself: give it the child's environment for the run.
  const saved = process.env;
  process.env = env;
  let code: number;
  try {
    code = await main(args, { stdin: new PassThrough(), stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream, env });
  } finally {
    process.env = saved;
  }
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('errors: lone surrogates, missing buckets behind HEAD, uploads stored despite a failed HEAD', () => {
  const fx = useBucket('errors');
  const dir = useTempDir();

  it('a key with a lone surrogate is Err(InvalidInput) in every object operation, before any request', async () => {
    for (const key of ['a\uD800b', '\uDC00', 'x/\uDBFF']) {
      await expectRejectedLocally(fx.rx, 'InvalidInput', [
        fx.rx.putObject(fx.bucket, key, 'x'),
        fx.rx.getObject(fx.bucket, key),
        fx.rx.getObjectMetadata(fx.bucket, key),
        fx.rx.deleteObject(fx.bucket, key),
        fx.rx.copyObject({ bucket: fx.bucket, key: key }, { bucket: fx.bucket, key: 'b' }),
        fx.rx.moveObject({ bucket: fx.bucket, key: 'a' }, { bucket: fx.bucket, key: key }),
        fx.rx.deleteObjects(fx.bucket, [key]),
        fx.rx.generatePresignedUrl('GET', fx.bucket, key),
        fx.rx.uploadFile(fx.bucket, key, __filename),
        fx.rx.downloadFile(fx.bucket, key, join(dir.path, 'never')),
        fx.rx.downloadStream(fx.bucket, key),
        fx.rx.listObjects(fx.bucket, { prefix: key }),
        fx.rx.listObjects(fx.bucket, { startAfter: key }),
      ]);
    }
    const [put] = await collect(fx.rx.putObject(fx.bucket, 'pair-\uD83D\uDE00', 'a well-formed pair is fine'));
    expect(put!.ok).to.equal(true);
  });

  it('a content type that is not printable ASCII is Err(InvalidInput) before any request', async () => {
    await expectRejectedLocally(fx.rx, 'InvalidInput', [
      fx.rx.putObject(fx.bucket, 'k', 'x', { contentType: 'text/plain; charset=\u00e9' }),
      fx.rx.uploadFile(fx.bucket, 'k', __filename, { contentType: 'a\nb' }),
    ]);
  });

  it('a metadata name __proto__ (any case) is Err(InvalidInput) before any request: the SDK could not read it back', async () => {
    const metadata = Object.defineProperty({}, '__PROTO__', { value: 'x', enumerable: true }) as Record<string, string>;
    const own = JSON.parse('{"__proto__": "x"}') as Record<string, string>; // an own property, as fast-check found
    await expectRejectedLocally(fx.rx, 'InvalidInput', [
      fx.rx.putObject(fx.bucket, 'k', 'x', { metadata }),
      fx.rx.uploadFile(fx.bucket, 'k', __filename, { metadata: own }),
    ]);
  });

  it('a HEAD on a missing bucket is NoSuchBucket, not NoSuchKey: getObjectMetadata, downloadFile', async () => {
    const spy = spySend(fx.rx);
    try {
      const [head] = await collect(fx.rx.getObjectMetadata(MISSING_BUCKET, 'k'));
      expect(head!.err && head!.val).to.include({ kind: 'NoSuchBucket', operation: 'getObjectMetadata', bucket: MISSING_BUCKET, key: 'k' });
      expect(head!.err && head!.val.message).to.equal(`bucket ${MISSING_BUCKET} does not exist`);
      expect(commandNames(spy)).to.deep.equal(['HeadObjectCommand', 'HeadBucketCommand']);
      spy.resetHistory();
      const results = await collect(fx.rx.downloadFile(MISSING_BUCKET, 'k', join(dir.path, 'never')));
      expect(results).to.have.length(1);
      expect(results[0]!.err && results[0]!.val.kind).to.equal('NoSuchBucket');
    } finally {
      spy.restore();
    }
  });

  it('a HEAD on a missing key in an existing bucket stays NoSuchKey (one HeadBucket, only on the failure path)', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'present', 'x'));
    const spy = spySend(fx.rx);
    try {
      const [ok] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'present'));
      expect(ok!.ok).to.equal(true);
      expect(commandNames(spy)).to.deep.equal(['HeadObjectCommand']);
      spy.resetHistory();
      const [missing] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'absent'));
      expect(missing!.err && missing!.val).to.include({ kind: 'NoSuchKey', key: 'absent' });
      expect(commandNames(spy)).to.deep.equal(['HeadObjectCommand', 'HeadBucketCommand']);
    } finally {
      spy.restore();
    }
  });

  it('the CLI says NoSuchBucket for cp and stat of an object in a missing bucket', async () => {
    const stat = await runCliHere(['stat', `s3://${MISSING_BUCKET}/k`]);
    expect(stat.code).to.equal(1);
    expect(stat.stderr).to.equal(`rx-s3: NoSuchBucket: bucket ${MISSING_BUCKET} does not exist\n`);
    const cp = await runCliHere(['cp', `s3://${MISSING_BUCKET}/k`, join(dir.path, 'never')]);
    expect(cp.stderr).to.equal(`rx-s3: NoSuchBucket: bucket ${MISSING_BUCKET} does not exist\n`);
  });

  it('an upload the server stored is Ok even when the HEAD after Complete fails (write-only credentials)', async () => {
    const source = join(dir.path, 'write-only');
    const data = bytes(6 * MiB, 8);
    await writeFile(source, data);
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      const answer = await (command instanceof HeadObjectCommand
        ? Promise.reject(Object.assign(new Error('Forbidden'), { name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 } }))
        : send(command, options));
      // The server's completion answer without an ETag, as Ceph RGW gives it: the HEAD fallback runs.
      return command instanceof CompleteMultipartUploadCommand ? { ...answer, ETag: '' } : answer;
    });
    let results;
    try {
      results = await collect(fx.rx.uploadFile(fx.bucket, 'write-only', source, { partSize: 5 * MiB }));
    } finally {
      stub.restore();
    }
    const last = results[results.length - 1]!;
    expect(last.ok && last.val.kind === 'complete' && last.val.output).to.include({ size: data.length, etag: undefined, parts: 2 });
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'write-only'));
    expect(head!.ok && head!.val.contentLength).to.equal(data.length);
  });
});

describe('configuration: the constructor never throws for what a user can mistype', () => {
  const cases: Array<[string, RxS3Options, RegExp]> = [
    ['an endpoint without a scheme', { endpoint: '127.0.0.1:9000' }, /endpoint "127\.0\.0\.1:9000" has no scheme: write http:\/\/127\.0\.0\.1:9000/],
    ['an ftp:// endpoint', { endpoint: 'ftp://example.test/' }, /must be an http:\/\/ or https:\/\/ URL, not ftp:/],
    ['an endpoint that is no URL', { endpoint: 'http://exa mple:x' }, /is not a valid URL/],
    ['an empty region', { region: '' }, /region is empty/],
    ['a region with a space', { region: 'us east' }, /not a valid region name/],
    ['an empty access key', { credentials: { accessKeyId: '', secretAccessKey: 's' } }, /accessKeyId is missing or empty/],
    ['maxAttempts 0', { maxAttempts: 0 }, /maxAttempts must be a whole number/],
    ['maxSockets 0', { maxSockets: 0 }, /maxSockets must be a whole number from 1, got 0/],
    ['maxSockets 2.5', { maxSockets: 2.5 }, /maxSockets must be a whole number from 1, got 2\.5/],
    ['a metadata cache of -1 entries', { metadataCache: { maxEntries: -1 } }, /metadataCache\.maxEntries must be a whole number/],
  ];
  for (const [label, options, message] of cases) {
    it(`${label}: every operation emits one Err(InvalidInput), nothing is sent`, async () => {
      let rx: RxS3 | undefined;
      expect(() => {
        rx = new RxS3(rxOptions(options));
      }).to.not.throw();
      try {
        const operations: Array<Observable<Result<unknown, S3Error>>> = [rx!.listBuckets(), rx!.getObjectMetadata('some-bucket', 'k'), rx!.listObjects('some-bucket'), rx!.generatePresignedUrl('GET', 'some-bucket', 'k'), rx!.downloadStream('some-bucket', 'k')];
        for (const op$ of operations) {
          const results = await collect(op$);
          expect(results).to.have.length(1);
          expect(results[0]!.err && results[0]!.val).to.include({ kind: 'InvalidInput', code: 'InvalidConfiguration' });
          expect(results[0]!.err && results[0]!.val.message).to.match(message);
        }
      } finally {
        rx!.destroy();
      }
    });
  }

  it('a password in the endpoint never reaches the message', async () => {
    const rx = new RxS3({ endpoint: 'ftp://user:hunter2@example.test/' });
    const [r] = await collect(rx.listBuckets());
    expect(r!.err && r!.val.message).to.not.include('hunter2');
    rx.destroy();
  });

  it('missing credentials are Err(NoCredentials) with a message that says what to set', async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/c', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/s' });
    const rx = makeClient({ credentials: undefined, maxAttempts: 1 });
    try {
      const [r] = await collect(rx.getObjectMetadata('some-bucket', 'k'));
      expect(r!.err && r!.val.kind).to.equal('NoCredentials');
      expect(r!.err && r!.val.message).to.match(/^no credentials: pass `credentials`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    } finally {
      rx.destroy();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('the CLI reports a bad --endpoint-url as one line, exit 2, no stack', async () => {
    const result = await runCliHere(['ls', '--endpoint-url', '127.0.0.1:9000']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^rx-s3: InvalidInput: invalid RxS3 configuration: endpoint "127\.0\.0\.1:9000" has no scheme/);
    expect(result.stderr.split('\n')).to.have.length(2);
  });
});
