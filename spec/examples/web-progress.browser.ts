/**
 * The web-progress example (docs/examples/web-progress) end to end: Chromium (Debian's, driven by playwright-core)
 * picks files on the page, the example's server pipes them into `uploadStream` against the test S3 server and
 * pushes progress over SSE. Run by `npm run test:browser` (not by `npm test`: it needs /usr/bin/chromium).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Server } from 'node:http';
import { createApp } from '../../docs/examples/web-progress/app';
import { collect, interceptSend, useBucket, useTempDir } from '../support/fixtures';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('docs/examples/web-progress in Chromium', function () {
  this.timeout(120_000);
  const fx = useBucket('web');
  const dir = useTempDir();
  const uploadIds: string[] = [];
  let stub: { restore(): void };
  let app: Server;
  let base = '';
  let browser: Browser;
  let page: Page;
  let session = '';

  before(async () => {
    // A slower server: part N of a multipart upload waits N x 400 ms before it is sent, so the bars take several
    // values and a cancel lands mid-upload. The UploadIds are kept to prove the cancelled one was aborted.
    stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof UploadPartCommand) await delay((command.input.PartNumber ?? 1) * 400);
      const answer = await send(command, options);
      if (typeof answer.UploadId === 'string') uploadIds.push(answer.UploadId);
      return answer;
    });
    app = createApp({ rx: fx.rx, bucket: fx.bucket, downloadDirectory: join(dir.path, 'downloads') });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.addInitScript({ path: join(__dirname, 'record-bars.js') });
    await page.goto(base);
    session = await page.evaluate<string>('document.body.dataset.session');
  });

  after(async () => {
    await browser?.close();
    app?.closeAllConnections();
    await new Promise((resolve) => app?.close(resolve));
    stub?.restore();
  });

  // Page-side code is given as strings: this file is type-checked for Node, without the DOM's types.
  const bars = (): Promise<Record<string, number[]>> => page.evaluate('window.bars');
  const waitFor = (expression: string, timeout = 60_000): Promise<unknown> => page.waitForFunction(expression, null, { timeout });
  const statusOf = (name: string, section = '#uploads'): Promise<string> =>
    page.locator(`${section} .row`, { hasText: name }).locator('.status').innerText();
  const rowId = async (name: string, section = '#uploads'): Promise<string> =>
    (await page.locator(`${section} .row`, { hasText: name }).getAttribute('data-id')) ?? '';
  /** The keys under this page's session prefix, as the server lists them. */
  const uploadedKeys = async (): Promise<string[]> =>
    (await collect(fx.rx.listObjects(fx.bucket, { prefix: `uploads/${session}/` }))).flatMap((r) => r.unwrap().objects.map((o) => o.key));

  it('uploads picked files with moving bars; the objects land byte-identical; the job downloads them with per-file and total bars', async () => {
    const big = randomBytes(20 * MiB);
    const small = Buffer.from('a small file\n');
    await writeFile(join(dir.path, 'big.bin'), big);
    await writeFile(join(dir.path, 'small.txt'), small);

    await page.setInputFiles('#files', [join(dir.path, 'big.bin'), join(dir.path, 'small.txt')]);
    await page.click('#upload');
    await waitFor(`document.querySelectorAll('#uploads .status.done').length === 2`);

    expect(await statusOf('big.bin')).to.equal('done, 20.0 MiB');
    const bigBar = (await bars())[await rowId('big.bin')]!;
    const between = new Set(bigBar.filter((v) => v > 0 && v < 100));
    expect(between.size, `big.bin's bar took ${JSON.stringify(bigBar)}`).to.be.at.least(2);
    expect(bigBar[bigBar.length - 1]).to.equal(100);
    expect(bigBar).to.deep.equal([...bigBar].sort((a, b) => a - b)); // never backwards
    const total = (await bars())['uploads-total']!;
    expect(total[total.length - 1]).to.equal(100);

    const keys = await uploadedKeys();
    expect(keys.map((k) => k.split('/').pop()).sort()).to.deep.equal(['big.bin', 'small.txt']);
    const bigKey = keys.find((k) => k.endsWith('/big.bin'))!;
    const chunks: Buffer[] = [];
    for (const r of await collect(fx.rx.downloadStream(fx.bucket, bigKey))) if (r.ok && r.val.kind === 'data') chunks.push(r.val.chunk);
    expect(sha256(Buffer.concat(chunks))).to.equal(sha256(big));

    // The server-side job: a download of everything under the session's prefix.
    await page.click('#job');
    await waitFor(`document.querySelector('#job-rows .row.total .status.done') !== null`);
    expect(await page.locator('#job-rows .row.total .status').innerText()).to.match(/^done: 2 files, 20\.0 MiB$/);
    const seen = await bars();
    const jobBars = Object.entries(seen).filter(([id]) => id.startsWith('job-'));
    expect(jobBars.map(([id]) => id.split(':').pop()).sort()).to.deep.equal([bigKey, keys.find((k) => k.endsWith('/small.txt'))!, 'total'].sort());
    for (const [id, values] of jobBars) expect(values[values.length - 1], id).to.equal(100);
    const [sessionDir] = await readdir(join(dir.path, 'downloads'));
    const saved = join(dir.path, 'downloads', sessionDir!);
    expect((await readdir(saved)).sort()).to.deep.equal(['big.bin', 'small.txt']);
    expect(sha256(await readFile(join(saved, 'big.bin')))).to.equal(sha256(big));
    expect(await readFile(join(saved, 'small.txt'), 'utf8')).to.equal('a small file\n');
  });

  it('cancel unsubscribes: the upload stops, its multipart upload is aborted (NoSuchUpload), no object is left', async () => {
    await writeFile(join(dir.path, 'cancel.bin'), randomBytes(30 * MiB));
    const before = uploadIds.length;
    await page.setInputFiles('#files', [join(dir.path, 'cancel.bin')]);
    await page.click('#upload');
    const id = await rowId('cancel.bin');
    // Cancel once the bar has moved but the upload is not done.
    await waitFor(`(window.bars[${JSON.stringify(id)}] ?? []).some((v) => v > 0 && v < 100)`);
    await page.click('#cancel');
    await waitFor(`document.querySelectorAll('#uploads .status.cancelled').length === 1`, 30_000);
    expect(await statusOf('cancel.bin')).to.equal('cancelled');
    const values = (await bars())[id]!;
    expect(Math.max(...values)).to.be.below(100);

    await fx.rx.flushCleanups();
    expect(uploadIds.length).to.equal(before + 1);
    const cancelledKey = `uploads/${session}/cancel.bin`;
    const probe = await fx.rx.client
      .send(new UploadPartCommand({ Bucket: fx.bucket, Key: cancelledKey, UploadId: uploadIds[before], PartNumber: 1, Body: Buffer.from('x') }))
      .then(() => 'accepted', (e: { name?: string }) => e.name);
    expect(probe).to.equal('NoSuchUpload');
    expect((await uploadedKeys()).filter((k) => k.endsWith('/cancel.bin'))).to.deep.equal([]);
    // Nothing more arrives for it after the cancel.
    await delay(1500);
    expect((await bars())[id]).to.deep.equal(values);
  });
});
