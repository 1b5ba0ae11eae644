import { expect } from 'chai';
import { Budget } from '../../lib';

describe('Budget', () => {
  it('holds requests beyond maxRequests until one is released, first come first served', async () => {
    const budget = new Budget({ maxRequests: 2 });
    const a = await budget.acquire(0);
    const b = await budget.acquire(0);
    const order: string[] = [];
    const c = budget.acquire(0).then((release) => (order.push('c'), release));
    const d = budget.acquire(0).then((release) => (order.push('d'), release));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).to.deep.equal([]);
    expect(budget.requestsInFlight).to.equal(2);
    a();
    a(); // a second release is ignored
    const releaseC = await c;
    expect(order).to.deep.equal(['c']);
    b();
    (await d)();
    releaseC();
    expect(budget.requestsInFlight).to.equal(0);
    expect(budget.peakRequests).to.equal(2);
  });

  it('bounds bytes in flight, and lets a request larger than the whole budget go alone', async () => {
    const budget = new Budget({ maxRequests: 10, maxBytes: 100 });
    const a = await budget.acquire(60);
    let second = false;
    const b = budget.acquire(60).then((release) => ((second = true), release));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(second).to.equal(false);
    a();
    (await b)();
    const huge = await budget.acquire(1000);
    expect(budget.bytesInFlight).to.equal(1000);
    huge();
  });

  it('a waiting acquire rejects when its signal aborts, and takes nothing', async () => {
    const budget = new Budget({ maxRequests: 1 });
    const held = await budget.acquire(0);
    const controller = new AbortController();
    const waiting = budget.acquire(0, controller.signal);
    controller.abort(new Error('stop'));
    let reason: unknown;
    await waiting.catch((e: unknown) => (reason = e));
    expect((reason as Error).message).to.equal('stop');
    held();
    expect(budget.requestsInFlight).to.equal(0);
  });

  it('paces requests to the bandwidth cap', async () => {
    const budget = new Budget({ bytesPerSecond: 1_000_000 });
    const started = Date.now();
    for (let i = 0; i < 4; i += 1) (await budget.acquire(100_000))();
    // 400 kB at 1 MB/s: the fourth may start once 300 kB drained, 300 ms after the first.
    expect(Date.now() - started).to.be.within(280, 5000);
  });
});
