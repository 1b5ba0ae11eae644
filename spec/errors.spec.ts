import { expect } from 'chai';
import * as net from 'node:net';
import { isRetryable, isS3Error, kindOfCode, toS3Error, type S3ErrorKind } from '../lib';
import { collect } from './support/fixtures';
import { makeClient } from './support/server';

const context = { operation: 'getObject', bucket: 'b', key: 'k' };
const service = (name: string, status: number) => Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status, requestId: 'req-1' } });

describe('toS3Error: the one mapping of failures', () => {
  const cases: Array<[string, unknown, S3ErrorKind]> = [
    ['NoSuchKey', service('NoSuchKey', 404), 'NoSuchKey'],
    ['HEAD NotFound with a key', service('NotFound', 404), 'NoSuchKey'],
    ['NoSuchBucket', service('NoSuchBucket', 404), 'NoSuchBucket'],
    ['BucketAlreadyExists', service('BucketAlreadyExists', 409), 'BucketAlreadyExists'],
    ['BucketAlreadyOwnedByYou', service('BucketAlreadyOwnedByYou', 409), 'BucketAlreadyOwnedByYou'],
    ['BucketNotEmpty', service('BucketNotEmpty', 409), 'BucketNotEmpty'],
    ['InvalidObjectState', service('InvalidObjectState', 403), 'InvalidObjectState'],
    ['NoSuchUpload', service('NoSuchUpload', 404), 'NoSuchUpload'],
    ['ObjectAlreadyInActiveTierError', service('ObjectAlreadyInActiveTierError', 403), 'ObjectAlreadyInActiveTierError'],
    ['ObjectNotInActiveTierError', service('ObjectNotInActiveTierError', 403), 'ObjectNotInActiveTierError'],
    ['AccessDenied', service('AccessDenied', 403), 'AccessDenied'],
    ['SignatureDoesNotMatch', service('SignatureDoesNotMatch', 403), 'AccessDenied'],
    ['HEAD 403', service('Forbidden', 403), 'AccessDenied'],
    ['PreconditionFailed', service('PreconditionFailed', 412), 'PreconditionFailed'],
    ['SlowDown', service('SlowDown', 503), 'Throttled'],
    ['429', service('TooManyRequests', 429), 'Throttled'],
    ['other service error', service('InternalError', 500), 'ServiceError'],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }), 'Network'],
    ['socket reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'Network'],
    ['timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'Timeout'],
    ['missing file', Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open', path: '/nope' }), 'LocalFile'],
    ['a string', 'weird', 'Unknown'],
  ];
  for (const [label, cause, kind] of cases) {
    it(`${label} -> ${kind}`, () => {
      const error = toS3Error(cause, context);
      expect(error.kind).to.equal(kind);
      expect(error).to.include({ operation: 'getObject', bucket: 'b', key: 'k' });
      expect(error.message).to.be.a('string').and.not.equal('');
      expect(isS3Error(error)).to.equal(true);
    });
  }

  it('a HEAD 404 without a key (HeadBucket) is NoSuchBucket', () => {
    expect(toS3Error(service('NotFound', 404), { operation: 'getBucketMetadata', bucket: 'b' }).kind).to.equal('NoSuchBucket');
  });

  it('keeps status, code, request id and cause', () => {
    const cause = service('SlowDown', 503);
    expect(toS3Error(cause, context)).to.include({ status: 503, code: 'SlowDown', requestId: 'req-1', cause });
  });

  it('passes an S3Error through unchanged', () => {
    const error = toS3Error(service('NoSuchKey', 404), context);
    expect(toS3Error(error, { operation: 'other' })).to.equal(error);
  });

  it('kindOfCode maps a bare error code (e.g. a per-key DeleteObjects error) through the same table', () => {
    expect(kindOfCode('AccessDenied')).to.equal('AccessDenied');
    expect(kindOfCode('SlowDown')).to.equal('Throttled');
    expect(kindOfCode('InternalError')).to.equal('ServiceError');
    expect(kindOfCode(undefined)).to.equal('ServiceError');
  });

  it('says which errors are worth retrying', () => {
    expect(isRetryable(toS3Error(service('SlowDown', 503), context))).to.equal(true);
    expect(isRetryable(toS3Error(service('InternalError', 500), context))).to.equal(true);
    expect(isRetryable(toS3Error(service('NoSuchKey', 404), context))).to.equal(false);
    expect(isRetryable(toS3Error(Object.assign(new Error('x'), { code: 'ECONNRESET' }), context))).to.equal(true);
  });

  it('a connection refused by a real (closed) port is Err(Network), not a thrown error', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const rx = makeClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    try {
      const results = await collect(rx.getObjectMetadata('some-bucket', 'k'));
      expect(results).to.have.length(1);
      expect(results[0]!.err && results[0]!.val.kind).to.equal('Network');
    } finally {
      rx.destroy();
    }
  });
});
