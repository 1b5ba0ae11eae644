import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { lastValueFrom, mergeMap, range, toArray } from 'rxjs';
import type { RxS3 } from '../../lib';
import { bytes, collect, useBucket, useTempDir } from '../support/fixtures';
import { FaultProxy } from '../support/fault-proxy';
import { makeClient } from '../support/server';

const MiB = 1024 * 1024;

/** `maxSockets` bounds the connections to one host on both data paths; the fault proxy counts them (it injects nothing). */
describe('connections: maxSockets', function () {
  this.timeout(30_000);
  const fx = useBucket('max-sockets');
  const dir = useTempDir();
  let proxy: FaultProxy;
  let rx: RxS3 | undefined;
  const body = bytes(64 * 1024, 5);
  const six = bytes(11 * MiB, 6);

  before(async () => {
    proxy = await FaultProxy.start();
    const source = join(dir.path, 'six.src');
    await writeFile(source, six);
    const put = await lastValueFrom(fx.rx.uploadFile(fx.bucket, 'six', source));
    expect(put.ok).to.equal(true);
  });
  afterEach(() => rx?.destroy());
  after(() => proxy.stop());

  /** `count` PUTs then `count` HEADs, all in flight at once; every result Ok. */
  const burst = async (client: RxS3, count: number): Promise<void> => {
    const puts = await lastValueFrom(range(0, count).pipe(mergeMap((i) => client.putObject(fx.bucket, `burst/${i}`, body), count), toArray()));
    const heads = await lastValueFrom(range(0, count).pipe(mergeMap((i) => client.getObjectMetadata(fx.bucket, `burst/${i}`), count), toArray()));
    for (const r of [...puts, ...heads]) expect(r.ok, r.err ? r.val.message : '').to.equal(true);
  };

  it('with maxSockets 2, sixteen PUTs and sixteen HEADs at once share two connections; all succeed', async () => {
    rx = makeClient({ endpoint: proxy.endpoint, maxSockets: 2 });
    proxy.reset();
    await burst(rx, 16);
    expect(proxy.peakConnections).to.be.within(1, 2);
    expect(proxy.count(() => true)).to.equal(32);
  });

  it('the default (50) opens more than two for the same burst: the limit above is maxSockets at work', async () => {
    rx = makeClient({ endpoint: proxy.endpoint });
    proxy.reset();
    await burst(rx, 16);
    expect(proxy.peakConnections).to.be.above(2);
  });

  it('with maxSockets 1, a download in three ranges, four allowed in flight, runs on one connection, byte-identical', async () => {
    rx = makeClient({ endpoint: proxy.endpoint, maxSockets: 1 });
    proxy.reset();
    const target = join(dir.path, 'six.out');
    const results = await collect(rx.downloadFile(fx.bucket, 'six', target, { partSize: 5 * MiB, concurrency: 4 }));
    const last = results[results.length - 1]!;
    expect(last.ok, last.err ? last.val.message : '').to.equal(true);
    expect((await readFile(target)).equals(six)).to.equal(true);
    expect(proxy.peakConnections).to.equal(1);
  });
});
