import { expect } from 'chai';
import { from, lastValueFrom, mergeMap, take, toArray } from 'rxjs';
import { collect, commandNames, interceptSend, spySend, useBucket } from '../support/fixtures';

describe('listObjects', () => {
  const fx = useBucket('list');
  const keys = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(5, '0')}`);

  before(async function () {
    this.timeout(120_000);
    const puts = await lastValueFrom(from(keys).pipe(mergeMap((key) => fx.rx.putObject(fx.bucket, key, key), 32), toArray()));
    expect(puts.every((r) => r.ok)).to.equal(true);
    for (const key of ['dir/a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'top.txt']) await collect(fx.rx.putObject(fx.bucket, key, key));
  });

  it('2,500 keys with page size 1,000 give exactly 3 pages, in order, with every key once', async () => {
    const spy = spySend(fx.rx);
    try {
      const pages = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'many/', pageSize: 1000 }));
      expect(pages).to.have.length(3);
      const values = pages.map((p) => p.unwrap());
      expect(values.map((p) => p.objects.length)).to.deep.equal([1000, 1000, 500]);
      expect(values.map((p) => p.pageNumber)).to.deep.equal([1, 2, 3]);
      expect(values.map((p) => p.isLast)).to.deep.equal([false, false, true]);
      expect(values.flatMap((p) => p.objects.map((o) => o.key))).to.deep.equal(keys);
      expect(values[0]!.objects[0]).to.include({ key: 'many/00000', size: 10 });
      expect(commandNames(spy)).to.deep.equal(['ListObjectsV2Command', 'ListObjectsV2Command', 'ListObjectsV2Command']);
    } finally {
      spy.restore();
    }
  });

  it('is lazy: take(1) sends exactly one request', async () => {
    const spy = spySend(fx.rx);
    try {
      const pages = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'many/', pageSize: 100 }).pipe(take(1)));
      expect(pages).to.have.length(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(spy.callCount).to.equal(1);
    } finally {
      spy.restore();
    }
  });

  it('requests the next page only after the previous one was delivered', async () => {
    const spy = spySend(fx.rx);
    try {
      const callsAtDelivery: number[] = [];
      await collect(fx.rx.listObjects(fx.bucket, { prefix: 'many/', pageSize: 1000 }).pipe(mergeMap(async (page) => {
        callsAtDelivery.push(spy.callCount);
        return page;
      })));
      expect(callsAtDelivery).to.deep.equal([1, 2, 3]);
    } finally {
      spy.restore();
    }
  });

  it('with a delimiter, groups keys into commonPrefixes', async () => {
    const [page, ...rest] = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'dir/', delimiter: '/' }));
    expect(rest).to.be.empty;
    expect(page!.unwrap().objects.map((o) => o.key)).to.deep.equal(['dir/a.txt', 'dir/b.txt']);
    expect(page!.unwrap().commonPrefixes).to.deep.equal(['dir/sub/']);
  });

  it('startAfter skips keys up to and including it', async () => {
    const [page] = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'dir/', startAfter: 'dir/a.txt' }));
    expect(page!.unwrap().objects.map((o) => o.key)).to.deep.equal(['dir/b.txt', 'dir/sub/c.txt']);
  });

  it('an empty prefix gives one empty last page', async () => {
    const pages = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'nothing-here/' }));
    expect(pages).to.have.length(1);
    expect(pages[0]!.unwrap()).to.include({ isLast: true, pageNumber: 1 });
    expect(pages[0]!.unwrap().objects).to.be.empty;
  });

  it('a missing bucket is one Err(NoSuchBucket), then complete', async () => {
    const results = await collect(fx.rx.listObjects('rxs3-no-such-bucket-list'));
    expect(results).to.have.length(1);
    expect(results[0]!.err && results[0]!.val).to.include({ kind: 'NoSuchBucket', operation: 'listObjects' });
  });

  it('rejects a page size outside 1..1000 without a request', async () => {
    for (const pageSize of [0, 1001, 2.5]) {
      const [result] = await collect(fx.rx.listObjects(fx.bucket, { pageSize }));
      expect(result!.err && result!.val.kind).to.equal('InvalidInput');
    }
  });

  it('unsubscribing mid-listing aborts the request in flight and emits nothing more', async () => {
    const spy = spySend(fx.rx);
    try {
      const seen: unknown[] = [];
      const subscription = fx.rx.listObjects(fx.bucket, { prefix: 'many/', pageSize: 1000 }).subscribe({
        next: (page) => {
          seen.push(page);
          if (seen.length === 1) setImmediate(() => subscription.unsubscribe());
        },
        error: (e) => seen.push(e),
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).to.have.length.of.at.least(1);
      const last = spy.lastCall.args[1] as { abortSignal: AbortSignal };
      expect(last.abortSignal.aborted).to.equal(true);
      const count = seen.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).to.have.length(count);
    } finally {
      spy.restore();
    }
  });

  it('a server repeating a continuation token ends the stream with an Err instead of looping', async () => {
    // Fault injection: the server's second answer repeats the first token.
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      const out = await send(command, options);
      return { ...out, IsTruncated: true, NextContinuationToken: 'same-token-every-time' };
    });
    try {
      const results = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'many/', pageSize: 10 }));
      expect(results).to.have.length(3);
      expect(results.slice(0, 2).every((r) => r.ok)).to.equal(true);
      expect(results[2]!.err && results[2]!.val.kind).to.equal('ServiceError');
      expect(results[2]!.err && results[2]!.val.message).to.match(/twice/);
      expect(stub.callCount).to.equal(2);
    } finally {
      stub.restore();
    }
  });
});
