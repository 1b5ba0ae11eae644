import { expect } from 'chai';
import fc from 'fast-check';
import { defer, delay, from, lastValueFrom, map, mergeMap, of, take, timer, toArray } from 'rxjs';
import { compareKeys, cutKeyRanges, Ok, type ObjectPage, type WalkPage } from '../../lib';
import { collect, commandNames, expectRejectedLocally, spySend, useBucket } from '../support/fixtures';

/**
 * The huge-listing features on a real server, with a few thousand keys: resume tokens, key ranges, the parallel
 * walk (checked against the sequential listing by property tests) and the demand-driven forEachObject.
 */
describe('huge listings', () => {
  const fx = useBucket('huge');
  // 3,000 keys: 40 "directories" of uneven size, nested ones, top-level objects, non-ASCII keys.
  const keys = Array.from({ length: 3000 }, (_, i) => {
    if (i % 97 === 0) return `top-${String(i).padStart(4, '0')}`;
    if (i % 89 === 0) return `d${i % 7}/nested/${i}/leaf`;
    if (i % 101 === 0) return `ünïcødé/${i}-😀`;
    return `d${String((i * 7919) % 40).padStart(2, '0')}/${String(i).padStart(5, '0')}`;
  });
  const sorted = [...keys].sort(compareKeys);
  const keysOf = (pages: ReadonlyArray<ObjectPage | WalkPage>): string[] => pages.flatMap((p) => p.objects.map((o) => o.key));

  before(async function () {
    this.timeout(180_000);
    const puts = await lastValueFrom(from(keys).pipe(mergeMap((key) => fx.rx.putObject(fx.bucket, key, 'x'), 32), toArray()));
    expect(puts.every((r) => r.ok)).to.equal(true);
  });

  it('the sequential listing is in UTF-8 binary order (what every range cut relies on)', async () => {
    const pages = (await collect(fx.rx.listObjects(fx.bucket))).map((r) => r.unwrap());
    expect(keysOf(pages)).to.deep.equal(sorted);
  });

  describe('resume tokens', () => {
    it('a listing resumed from any page token yields exactly the keys after that page', async () => {
      const pages = (await collect(fx.rx.listObjects(fx.bucket, { pageSize: 400 }))).map((r) => r.unwrap());
      expect(pages.length).to.be.at.least(8);
      let seen = 0;
      for (const page of pages) {
        seen += page.objects.length;
        const rest = (await collect(fx.rx.listObjects(fx.bucket, { resume: page.resumeToken }))).map((r) => r.unwrap());
        expect(keysOf(rest), `after page ${page.pageNumber}`).to.deep.equal(sorted.slice(seen));
      }
    });

    it('with a delimiter, resuming after a common prefix does not deliver that prefix again', async () => {
      const one = (await collect(fx.rx.listObjects(fx.bucket, { prefix: 'd1/', delimiter: '/', pageSize: 5 }))).map((r) => r.unwrap());
      const items = (ps: readonly ObjectPage[]): string[] => ps.flatMap((p) => [...p.objects.map((o) => o.key), ...p.commonPrefixes]).sort(compareKeys);
      const all = items(one);
      expect(all).to.include('d1/nested/');
      // Page by page through resume tokens, one item per request: the same items, each once.
      const chained: ObjectPage[] = [];
      let resume: string | undefined;
      for (;;) {
        const [page] = (await collect(fx.rx.listObjects(fx.bucket, { prefix: 'd1/', delimiter: '/', pageSize: 1, resume }).pipe(take(1)))).map((r) => r.unwrap());
        chained.push(page!);
        resume = page!.resumeToken;
        if (page!.isLast) break;
      }
      expect(items(chained)).to.deep.equal(all);
    });

    it('a token that is not one is Err(InvalidInput) before any request', async () => {
      await expectRejectedLocally(fx.rx, 'InvalidInput', [fx.rx.listObjects(fx.bucket, { resume: 'not-a-token' }), fx.rx.listObjects(fx.bucket, { resume: 'r1.!!' })]);
    });
  });

  describe('key ranges', () => {
    it('startAfter and endBefore bound a listing; no page is requested past the bound', async () => {
      const spy = spySend(fx.rx);
      try {
        const pages = (await collect(fx.rx.listObjects(fx.bucket, { startAfter: 'd03/', endBefore: 'd05', pageSize: 100 }))).map((r) => r.unwrap());
        const expected = sorted.filter((k) => compareKeys(k, 'd03/') > 0 && compareKeys(k, 'd05') < 0);
        expect(keysOf(pages)).to.deep.equal(expected);
        expect(pages.at(-1)!.isLast).to.equal(true);
        expect(spy.callCount).to.equal(Math.ceil((expected.length + 1) / 100));
      } finally {
        spy.restore();
      }
    });

    it('ranges cut from a sampleKeySpace sample cover every key exactly once', async () => {
      const sample = (await lastValueFrom(fx.rx.sampleKeySpace(fx.bucket))).unwrap();
      expect(sample.complete).to.equal(false);
      expect(sample.requests).to.be.within(2, 32);
      const ranges = cutKeyRanges(sample.points, 5);
      const parts = await Promise.all(ranges.map(async (r) => keysOf((await collect(fx.rx.listObjects(fx.bucket, r))).map((p) => p.unwrap()))));
      expect(parts.flat()).to.deep.equal(sorted);
      for (const part of parts) expect(part.length, 'each range holds a fair share').to.be.above(200);
    });
  });

  describe('walkObjects (parallel)', () => {
    it('property: the walk yields exactly the keys of the sequential listing, in key order when ordered', async function () {
      this.timeout(240_000);
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            split: fc.constantFrom('prefixes' as const, 'ranges' as const),
            concurrency: fc.integer({ min: 1, max: 12 }),
            ordered: fc.boolean(),
            pageSize: fc.constantFrom(50, 333, 1000),
            ranges: fc.integer({ min: 1, max: 20 }),
            prefix: fc.constantFrom(undefined, 'd', 'd1', 'd1/', 'ü', 'nothing'),
          }),
          async (options) => {
            const pages = (await collect(fx.rx.walkObjects(fx.bucket, options))).map((r) => r.unwrap());
            const expected = sorted.filter((k) => k.startsWith(options.prefix ?? ''));
            const walked = keysOf(pages);
            if (options.ordered) expect(walked).to.deep.equal(expected);
            else expect([...walked].sort(compareKeys)).to.deep.equal(expected);
          },
        ),
        { numRuns: 16, seed: 11 },
      );
    });

    it('splits by prefix: one listing per common prefix, several in flight', async () => {
      const spy = spySend(fx.rx);
      try {
        let inFlight = 0;
        let most = 0;
        const wrapped = spy.wrappedMethod as (...args: unknown[]) => Promise<unknown>;
        spy.restore();
        const stub = (await import('sinon')).default.stub(fx.rx.client, 'send').callsFake(async (...args: unknown[]) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          try {
            return await wrapped.apply(fx.rx.client, args);
          } finally {
            inFlight -= 1;
          }
        });
        try {
          const pages = (await collect(fx.rx.walkObjects(fx.bucket, { concurrency: 6 }))).map((r) => r.unwrap());
          expect(new Set(pages.map((p) => p.part.prefix)).size).to.be.at.least(40);
          expect(most).to.equal(6);
        } finally {
          stub.restore();
        }
      } finally {
        spy.restore();
      }
    });

    it('a missing bucket is one Err, then complete', async () => {
      for (const split of ['prefixes', 'ranges'] as const) {
        const results = await collect(fx.rx.walkObjects('rxs3-no-such-bucket-walk', { split }));
        expect(results).to.have.length(1);
        expect(results[0]!.err && results[0]!.val).to.include({ kind: 'NoSuchBucket', operation: 'walkObjects' });
      }
    });

    it('is cold, and unsubscribing aborts every request in flight', async () => {
      const spy = spySend(fx.rx);
      try {
        const walk$ = fx.rx.walkObjects(fx.bucket, { concurrency: 4, pageSize: 50 });
        await new Promise((r) => setTimeout(r, 20));
        expect(spy.callCount, 'nothing before subscribe').to.equal(0);
        const got = await collect(walk$.pipe(take(3)));
        expect(got).to.have.length(3);
        await new Promise((r) => setTimeout(r, 50));
        const signals = spy.getCalls().map((c) => (c.args[1] as { abortSignal: AbortSignal }).abortSignal);
        const after = spy.callCount;
        await new Promise((r) => setTimeout(r, 100));
        expect(spy.callCount, 'no request after unsubscribe').to.equal(after);
        // Every request was either answered or aborted: none is left running.
        expect(signals.some((s) => s.aborted)).to.equal(true);
      } finally {
        spy.restore();
      }
    });

    it('rejects bad options before any request', async () => {
      await expectRejectedLocally(fx.rx, 'InvalidInput', [
        fx.rx.walkObjects(fx.bucket, { concurrency: 0 }),
        fx.rx.walkObjects(fx.bucket, { ranges: 0, split: 'ranges' }),
        fx.rx.walkObjects(fx.bucket, { pageSize: 1001 }),
        fx.rx.walkObjects(fx.bucket, { delimiter: '' }),
      ]);
    });
  });

  describe('forEachObject (demand-driven)', () => {
    it('works on every key once, at most `concurrency` at a time, holding at most about two pages', async () => {
      const spy = spySend(fx.rx);
      try {
        let running = 0;
        let most = 0;
        let done = 0;
        let mostInHand = 0;
        const listed = (): number => spy.callCount * 200; // each request lists at most 200 keys
        const results = await collect(
          fx.rx.forEachObject(
            fx.bucket,
            (o) =>
              defer(() => {
                running += 1;
                most = Math.max(most, running);
                mostInHand = Math.max(mostInHand, Math.min(listed(), keys.length) - done);
                return timer(1).pipe(map(() => Ok(o.key)));
              }).pipe(
                delay(0),
                map((r) => {
                  running -= 1;
                  done += 1;
                  return r;
                }),
              ),
            { pageSize: 200, concurrency: 5 },
          ),
        );
        const worked = results.map((r) => r.unwrap());
        expect(worked).to.have.length(keys.length);
        expect([...worked].sort(compareKeys)).to.deep.equal(sorted);
        expect(most).to.equal(5);
        expect(mostInHand, 'keys listed but not yet done').to.be.at.most(2 * 200);
        expect(commandNames(spy).every((n) => n === 'ListObjectsV2Command')).to.equal(true);
        expect(spy.callCount).to.equal(Math.ceil(keys.length / 200));
      } finally {
        spy.restore();
      }
    });

    it("work's Errs and promises pass through; a throwing work becomes an Err", async () => {
      const results = await collect(
        fx.rx.forEachObject(
          fx.bucket,
          async (o) => {
            if (o.key.endsWith('/00002')) throw new Error('boom');
            return Ok(o.size);
          },
          { prefix: 'd', endBefore: 'd01' },
        ),
      );
      const expected = sorted.filter((k) => k.startsWith('d') && compareKeys(k, 'd01') < 0);
      expect(results).to.have.length(expected.length);
      expect(results.filter((r) => r.err)).to.have.length(expected.filter((k) => k.endsWith('/00002')).length);
    });

    it('a listing failure is one Err, then complete', async () => {
      const results = await collect(fx.rx.forEachObject('rxs3-no-such-bucket-each', (o) => of(Ok(o.key))));
      expect(results).to.have.length(1);
      expect(results[0]!.err && results[0]!.val).to.include({ kind: 'NoSuchBucket', operation: 'forEachObject' });
    });

    it('is cold, and unsubscribing stops the listing and the work in flight', async () => {
      const spy = spySend(fx.rx);
      try {
        let started = 0;
        let finished = 0;
        const each$ = fx.rx.forEachObject(fx.bucket, (o) => defer(() => ((started += 1), timer(30))).pipe(map(() => ((finished += 1), Ok(o.key)))), { pageSize: 100, concurrency: 4 });
        expect(spy.callCount).to.equal(0);
        const got = await collect(each$.pipe(take(6)));
        expect(got).to.have.length(6);
        const requests = spy.callCount;
        const startedThen = started;
        await new Promise((r) => setTimeout(r, 100));
        expect(spy.callCount).to.equal(requests);
        expect(started).to.equal(startedThen);
        expect(finished).to.equal(6);
      } finally {
        spy.restore();
      }
    });
  });
});
