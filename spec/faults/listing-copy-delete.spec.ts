import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { collect, useBucket } from '../support/fixtures';
import { requests } from '../support/fault-proxy';
import { expectOneErr, useFaultClient, useFaultProxy } from './support';

describe('faults: listing, copy, move, delete', function () {
  this.timeout(30_000);
  const fx = useBucket('fault-misc');
  const fp = useFaultProxy();
  const client = useFaultClient(fp);
  const keys = Array.from({ length: 25 }, (_, i) => `list/${String(i).padStart(2, '0')}`);

  before(async () => {
    for (const key of keys) expect((await lastValueFrom(fx.rx.putObject(fx.bucket, key, key))).ok).to.equal(true);
  });

  const exists = async (key: string): Promise<boolean> => (await lastValueFrom(fx.rx.getObjectMetadata(fx.bucket, key))).ok;
  const pageKeys = (results: ReadonlyArray<{ ok: boolean; val: unknown }>): string[] =>
    results.flatMap((r) => (r.ok ? (r.val as { objects: Array<{ key: string }> }).objects.map((o) => o.key) : []));

  it('listing: a page never answered, a page stalled mid-body and a throttled page are retried: every key once, in order', async () => {
    fp.proxy.inject(
      { match: requests.list, action: { kind: 'hang' } },
      { match: requests.list, skip: 1, action: { kind: 'stall', afterBytes: 200 } },
      { match: requests.list, skip: 2, action: { kind: 'error', status: 503, code: 'SlowDown' } },
    );
    const results = await collect(client.rx.listObjects(fx.bucket, { prefix: 'list/', pageSize: 10 }));
    expect(results.every((r) => r.ok)).to.equal(true);
    expect(pageKeys(results)).to.deep.equal(keys);
    expect(fp.proxy.applied).to.deep.equal([1, 1, 1]);
  });

  it('listing: a page that never comes ends the stream with one Err(Timeout) after the pages already delivered; no hang', async () => {
    fp.proxy.inject({ match: requests.list, skip: 1, times: Infinity, action: { kind: 'hang' } });
    const results = await collect(client.rx.listObjects(fx.bucket, { prefix: 'list/', pageSize: 10 }));
    expect(results.map((r) => r.ok)).to.deep.equal([true, false]);
    expectOneErr(results, 'Timeout');
  });

  it('copyObject: throttled once is retried; never answered is one Err(Timeout)', async () => {
    fp.proxy.inject({ match: requests.copy, action: { kind: 'error', status: 503, code: 'SlowDown' } });
    const copied = (await collect(client.rx.copyObject({ bucket: fx.bucket, key: 'list/00' }, { bucket: fx.bucket, key: 'copy/00' }))).at(-1);
    expect(copied!.ok).to.equal(true);
    fp.proxy.reset();
    fp.proxy.inject({ match: requests.copy, times: Infinity, action: { kind: 'hang' } });
    expectOneErr(await collect(client.rx.copyObject({ bucket: fx.bucket, key: 'list/01' }, { bucket: fx.bucket, key: 'copy/01' })), 'Timeout');
  });

  it('moveObject: a copy refused for good loses nothing; a delete that never answers leaves both objects, one Err(Timeout)', async () => {
    fp.proxy.inject({ match: requests.copy, times: Infinity, action: { kind: 'error', status: 500, code: 'InternalError' } });
    expectOneErr(await collect(client.rx.moveObject({ bucket: fx.bucket, key: 'list/02' }, { bucket: fx.bucket, key: 'moved/02' })), 'ServiceError');
    expect(await exists('list/02')).to.equal(true);
    expect(await exists('moved/02')).to.equal(false);

    fp.proxy.reset();
    fp.proxy.inject({ match: requests.deleteObject, times: Infinity, action: { kind: 'hang' } });
    const results = await collect(client.rx.moveObject({ bucket: fx.bucket, key: 'list/03' }, { bucket: fx.bucket, key: 'moved/03' }));
    expectOneErr(results, 'Timeout');
    expect(await exists('list/03')).to.equal(true);
    expect(await exists('moved/03')).to.equal(true);
  });

  it('deleteObject reset once is retried; deleteObjects throttled once is retried', async () => {
    await lastValueFrom(fx.rx.putObject(fx.bucket, 'gone/1', 'x'));
    await lastValueFrom(fx.rx.putObject(fx.bucket, 'gone/2', 'x'));
    fp.proxy.inject({ match: requests.deleteObject, action: { kind: 'hang' } });
    expect((await collect(client.rx.deleteObject(fx.bucket, 'gone/1')))[0]!.ok).to.equal(true);
    expect(await exists('gone/1')).to.equal(false);
    fp.proxy.inject({ match: (r) => r.method === 'POST' && r.url.includes('delete'), action: { kind: 'error', status: 503, code: 'SlowDown' } });
    const [batch] = await collect(client.rx.deleteObjects(fx.bucket, ['gone/2']));
    expect(batch!.ok && batch!.val.deleted).to.deep.equal(['gone/2']);
  });
});
