import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { collect, useBucket, useTempDir } from '../support/fixtures';
import { runCli, startCli, startThrottlingProxy, type CliResult } from './support';

const expectSuccess = (result: CliResult): void => {
  expect(result.code, `stderr: ${result.stderr}`).to.equal(0);
};

async function tree(root: string, files: Readonly<Record<string, string | Buffer>>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

describe('cli: cp -r, mv -r, sync, rm -r (child processes)', function () {
  this.timeout(90_000);
  const fx = useBucket('cli-bulk');
  const tmp = useTempDir();
  const url = (key = ''): string => (key === '' ? `s3://${fx.bucket}` : `s3://${fx.bucket}/${key}`);
  const keys = async (prefix: string): Promise<string[]> =>
    (await collect(fx.rx.listObjects(fx.bucket, { prefix }))).flatMap((p) => p.unwrap().objects.map((o) => o.key));
  const files = { 'a.txt': 'a', 'sub/b.txt': 'bb', 'sub/deep/c.log': 'ccc', 'ünï code.txt': 'u' };

  it('cp -r uploads a directory with a line per file, and downloads it back; S3 to S3 copies', async () => {
    const src = join(tmp.path, 'src');
    await tree(src, files);
    const up = await runCli(['cp', '-r', src, url('cp/')]);
    expectSuccess(up);
    expect(up.stdout.split('\n').filter(Boolean).sort()).to.deep.equal(
      Object.keys(files).map((k) => `upload: ${join(src, ...k.split('/'))} to ${url(`cp/${k}`)}`).sort(),
    );
    const back = join(tmp.path, 'back');
    const down = await runCli(['cp', '--recursive', url('cp'), back]);
    expectSuccess(down);
    for (const [k, v] of Object.entries(files)) expect(await readFile(join(back, ...k.split('/')), 'utf8')).to.equal(v);
    const copy = await runCli(['cp', '-r', url('cp/'), url('cp-copy/'), '--exclude', '*.log']);
    expectSuccess(copy);
    expect(await keys('cp-copy/')).to.deep.equal(['cp-copy/a.txt', 'cp-copy/sub/b.txt', 'cp-copy/ünï code.txt']);
  });

  it('sync --json prints every event as NDJSON and ends with a summary; a second sync transfers nothing', async () => {
    const src = join(tmp.path, 'sync');
    await tree(src, files);
    const first = await runCli(['sync', src, url('sync'), '--json']);
    expectSuccess(first);
    const kinds = new Set(first.json.map((l) => l.kind));
    for (const kind of ['started', 'done', 'progress', 'summary']) expect(kinds).to.include(kind);
    expect(first.json[first.json.length - 1]).to.include({ kind: 'summary', ok: true, transferred: 4 });
    const second = await runCli(['sync', src, url('sync')]);
    expectSuccess(second);
    expect(second.stdout).to.equal('');
  });

  it('sync --delete --exclude/--include (later wins) and --dry-run; exit 1 and a summary when an object fails', async () => {
    const src = join(tmp.path, 'del');
    await tree(src, { 'keep.txt': 'k', 'x.tmp': 't', 'y.tmp': 'y' });
    (await collect(fx.rx.putObject(fx.bucket, 'del/extra.txt', 'e'))).forEach((r) => r.unwrap());
    const dry = await runCli(['sync', src, url('del'), '--delete', '--exclude', '*.tmp', '--include', 'y*', '--dry-run']);
    expectSuccess(dry);
    expect(dry.stdout.split('\n').filter(Boolean)).to.deep.equal([
      `(dryrun) delete: ${url('del/extra.txt')}`,
      `(dryrun) upload: ${join(src, 'keep.txt')} to ${url('del/keep.txt')}`,
      `(dryrun) upload: ${join(src, 'y.tmp')} to ${url('del/y.tmp')}`,
    ]);
    expect(await keys('del/')).to.deep.equal(['del/extra.txt']);
    const real = await runCli(['sync', src, url('del'), '--delete', '--exclude', '*.tmp', '--include', 'y*']);
    expectSuccess(real);
    expect(await keys('del/')).to.deep.equal(['del/keep.txt', 'del/y.tmp']);
    // A file that cannot be read (a dangling link, followed) fails its item: exit 1, a summary, no delete.
    const { symlink } = await import('node:fs/promises');
    await symlink(join(src, 'nowhere'), join(src, 'broken'));
    (await collect(fx.rx.putObject(fx.bucket, 'del/extra2.txt', 'e'))).forEach((r) => r.unwrap());
    const failing = await runCli(['sync', src, url('del'), '--delete', '--follow-symlinks']);
    expect(failing.code).to.equal(1);
    expect(failing.stderr).to.match(/1 failed/);
    expect(failing.stderr).to.match(/--delete was not carried out/);
    expect(await keys('del/')).to.include('del/extra2.txt');
  });

  it('mv -r moves a directory to S3 (the files go once uploaded); rm -r deletes a prefix', async () => {
    const src = join(tmp.path, 'mv');
    await tree(src, { 'one.txt': '1', 'two/three.txt': '3' });
    const mv = await runCli(['mv', '-r', src, url('mv/')]);
    expectSuccess(mv);
    expect(await keys('mv/')).to.deep.equal(['mv/one.txt', 'mv/two/three.txt']);
    expect(existsSync(join(src, 'one.txt'))).to.equal(false);
    const rm = await runCli(['rm', '-r', url('mv'), '--exclude', 'one*']);
    expectSuccess(rm);
    expect(rm.stdout).to.equal(`delete: ${url('mv/two/three.txt')}\n`);
    expect(await keys('mv/')).to.deep.equal(['mv/one.txt']);
  });

  it('Ctrl-C during cp -r exits 130 and leaves no partial file and no temp file', async () => {
    const src = join(tmp.path, 'big');
    await tree(src, { 'big1.bin': Buffer.alloc(6 * 1024 * 1024, 1), 'big2.bin': Buffer.alloc(6 * 1024 * 1024, 2) });
    (await collect(fx.rx.uploadDirectory(src, fx.bucket, 'big'))).forEach((r) => r.unwrap());
    const proxy = await startThrottlingProxy(4 * 1024 * 1024);
    try {
      const target = join(tmp.path, 'big-back');
      const cli = startCli(['cp', '-r', url('big'), target, '--json', '--endpoint-url', proxy.endpoint]);
      await cli.waitForJson((line) => line.kind === 'progress' && (line.bytesDone as number) > 0);
      cli.child.kill('SIGINT');
      const result = await cli.done;
      expect(result.code).to.equal(130);
      expect(result.json[result.json.length - 1]).to.include({ kind: 'cancelled' });
      const left = existsSync(target) ? await readdir(target) : [];
      expect(left).to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });
});
