import { buffer } from 'node:stream/consumers';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { bytes, collect, useBucket } from '../support/fixtures';
import { requests } from '../support/fault-proxy';
import { makeClient } from '../support/server';
import { expectOneErr, useFaultClient, useFaultProxy } from './support';

describe('faults: single requests (HEAD, GET, PUT)', function () {
  this.timeout(20_000);
  const fx = useBucket('fault-single');
  const fp = useFaultProxy();
  const client = useFaultClient(fp);
  const body = bytes(256 * 1024, 7);

  before(async () => {
    const put = await lastValueFrom(fx.rx.putObject(fx.bucket, 'obj', body));
    expect(put.ok).to.equal(true);
  });

  it('a server that never answers a HEAD: each attempt times out (idle), then one Err(Timeout); no hang', async () => {
    fp.proxy.inject({ match: requests.head, times: Infinity, action: { kind: 'hang' } });
    const started = Date.now();
    const results = await collect(client.rx.getObjectMetadata(fx.bucket, 'obj'));
    const error = expectOneErr(results, 'Timeout');
    expect(error.message).to.match(/no byte sent or received for 300 ms/);
    expect(fp.proxy.count(requests.head), 'attempts (maxAttempts 3)').to.equal(3);
    expect(Date.now() - started).to.be.below(5_000);
  });

  it('a HEAD never answered once is retried like a reset: Ok', async () => {
    fp.proxy.inject({ match: requests.head, action: { kind: 'hang' } });
    const [result] = await collect(client.rx.getObjectMetadata(fx.bucket, 'obj'));
    expect(result!.ok && result!.val.contentLength).to.equal(body.length);
    expect(fp.proxy.count(requests.head)).to.equal(2);
  });

  it('503 SlowDown is retried; throttled on every attempt it is one Err(Throttled)', async () => {
    fp.proxy.inject({ match: requests.put, times: 2, action: { kind: 'error', status: 503, code: 'SlowDown' } });
    const [put] = await collect(client.rx.putObject(fx.bucket, 'slow', 'hello'));
    expect(put!.ok).to.equal(true);
    expect(fp.proxy.count(requests.put)).to.equal(3);

    fp.proxy.reset();
    fp.proxy.inject({ match: requests.put, times: Infinity, action: { kind: 'error', status: 503, code: 'SlowDown' } });
    const once = makeClient({ endpoint: fp.proxy.endpoint, maxAttempts: 1 }); // the SDK's throttling back-off is long
    try {
      expectOneErr(await collect(once.putObject(fx.bucket, 'slow', 'hello')), 'Throttled');
    } finally {
      once.destroy();
    }
  });

  it('a 503 with Retry-After waits at least that long before the next attempt, as the SDK\'s retry middleware does', async () => {
    // The standard strategy's own first throttling back-off is under 500 ms; Retry-After: 1 stretches it to a second.
    fp.proxy.inject({ match: requests.head, times: 1, action: { kind: 'error', status: 503, code: 'SlowDown', headers: { 'retry-after': '1' } } });
    const started = Date.now();
    const [result] = await collect(client.rx.getObjectMetadata(fx.bucket, 'obj'));
    expect(result!.ok && result!.val.contentLength).to.equal(body.length);
    expect(fp.proxy.count(requests.head)).to.equal(2);
    expect(Date.now() - started, 'waited for Retry-After').to.be.at.least(950);
  });

  it('500 InternalError on every attempt is one Err(ServiceError) with the status; RequestTimeout (400) is retried', async () => {
    fp.proxy.inject({ match: requests.head, times: Infinity, action: { kind: 'error', status: 500, code: 'InternalError' } });
    const error = expectOneErr(await collect(client.rx.getObjectMetadata(fx.bucket, 'obj')), 'ServiceError');
    expect(error.status).to.equal(500);
    expect(fp.proxy.count(requests.head)).to.equal(3);

    fp.proxy.reset();
    fp.proxy.inject({ match: requests.put, action: { kind: 'error', status: 400, code: 'RequestTimeout' } });
    const [put] = await collect(client.rx.putObject(fx.bucket, 'retried', 'hello'));
    expect(put!.ok).to.equal(true);
    expect(fp.proxy.count(requests.put)).to.equal(2);
  });

  it('getObject: a body that stops flowing errors with a Timeout; a body read late (backpressure) is not a stall', async () => {
    fp.proxy.inject({ match: requests.get, action: { kind: 'stall', afterBytes: 64 * 1024 } });
    const [stalled] = await collect(client.rx.getObject(fx.bucket, 'obj'));
    expect(stalled!.ok).to.equal(true);
    const failure = await buffer(stalled!.ok ? stalled!.val.body : (undefined as never)).then(() => undefined, (e: Error) => e);
    expect(failure?.name).to.equal('TimeoutError');

    const [late] = await collect(client.rx.getObject(fx.bucket, 'obj'));
    await new Promise((resolve) => setTimeout(resolve, 900)); // three idle periods with nobody reading
    expect(late!.ok && (await buffer(late!.val.body)).equals(body)).to.equal(true);
  });

  it('timeouts per call: a deadline ends a call with Err(Timeout) (not an error notification); per-call idle wins over the client', async () => {
    fp.proxy.inject({ match: requests.get, times: Infinity, action: { kind: 'hang' } });
    const started = Date.now();
    const results = await collect(client.rx.getObject(fx.bucket, 'obj', { timeouts: { idleMs: 0, deadlineMs: 250 } }));
    const error = expectOneErr(results, 'Timeout');
    expect(error.message).to.match(/deadline of 250 ms/);
    expect(Date.now() - started).to.be.within(200, 2_000);

    const patient = makeClient({ endpoint: fp.proxy.endpoint, timeouts: { idleMs: 0 }, maxAttempts: 1 });
    try {
      const quick = await collect(patient.getObject(fx.bucket, 'obj', { timeouts: { idleMs: 200 } }));
      expect(expectOneErr(quick, 'Timeout').message).to.match(/200 ms/);
    } finally {
      patient.destroy();
    }
  });

  it('bad timeout values are InvalidInput before any request', async () => {
    const [result] = await collect(client.rx.getObject(fx.bucket, 'obj', { timeouts: { idleMs: -1 } }));
    expect(result!.err && result!.val.kind).to.equal('InvalidInput');
    expect(fp.proxy.seen).to.have.length(0);
  });
});
