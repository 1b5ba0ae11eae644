import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import { compareKeys } from '../../lib';
import { collect, useBucket, useTempDir } from '../support/fixtures';
import { runCli, type CliResult } from './support';

const ok = (result: CliResult): CliResult => {
  expect(result.code, `stderr: ${result.stderr}`).to.equal(0);
  return result;
};
/** The keys of `ls --recursive` lines ("date time size key"); keys here have no spaces. */
const listedKeys = (stdout: string): string[] => stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/\s+/).pop()!);

describe('cli: ls --resume, ls/rm --shard (child processes)', function () {
  this.timeout(120_000);
  const fx = useBucket('cli-shard');
  const dir = useTempDir();
  const url = (key = ''): string => `s3://${fx.bucket}/${key}`;
  const keys = Array.from({ length: 1500 }, (_, i) => `k/${String((i * 7) % 1500).padStart(4, '0')}-${i % 3 === 0 ? 'x' : 'y'}`).sort(compareKeys);

  before(async function () {
    this.timeout(120_000);
    const puts = await lastValueFrom(from(keys).pipe(mergeMap((key) => fx.rx.putObject(fx.bucket, key, 'x'), 32), toArray()));
    expect(puts.every((r) => r.ok)).to.equal(true);
  });

  it('--print-resume prints a token per page; --resume TOKEN lists exactly what follows that page', async () => {
    const first = ok(await runCli(['ls', '-r', '--page-size', '100', '--print-resume', url('k/')]));
    const lines = first.stdout.split('\n').filter(Boolean);
    const tokens = lines.filter((l) => l.startsWith('#resume ')).map((l) => l.slice('#resume '.length));
    expect(tokens).to.have.length(15);
    expect(listedKeys(first.stdout)).to.deep.equal(keys);
    const rest = ok(await runCli(['ls', '-r', '--resume', tokens[5]!, url('k/')]));
    expect(listedKeys(rest.stdout)).to.deep.equal(keys.slice(600));
    const json = ok(await runCli(['ls', '-r', '--page-size', '1000', '--json', url('k/')]));
    expect(json.json.map((p) => typeof p.resumeToken)).to.deep.equal(['string', 'string']);
    const bad = await runCli(['ls', '-r', '--resume', 'nonsense', url('k/')]);
    expect(bad.code, 'bad input, like a bad bucket name').to.equal(2);
    expect(bad.stderr).to.match(/InvalidInput: resume must be a page's resumeToken/);
  });

  it('4 processes with --shard 0/4 ... 3/4 list every key exactly once between them', async () => {
    const shards = await Promise.all([0, 1, 2, 3].map((i) => runCli(['ls', '--recursive', '--shard', `${i}/4`, url('k/')])));
    const parts = shards.map((r) => listedKeys(ok(r).stdout));
    expect(parts.flat()).to.deep.equal(keys);
    for (const part of parts) expect(part.length).to.be.within(150, 600);
  });

  it('sync and cp -r --shard: 3 processes download every key exactly once between them', async () => {
    const runs = await Promise.all([0, 1, 2].map((i) => runCli(['sync', '--shard', `${i}/3`, url('k/'), join(dir.path, 'synced')])));
    const lines = runs.map((r) => ok(r).stdout.split('\n').filter(Boolean));
    const downloaded = lines.flat().map((l) => l.replace(/^download: s3:\/\/[^/]+\//, '').replace(/ to .*$/, ''));
    expect([...downloaded].sort(compareKeys)).to.deep.equal(keys);
    for (const part of lines) expect(part.length).to.be.within(150, 900);
    const files = (await readdir(join(dir.path, 'synced'))).map((name) => `k/${name}`);
    expect(files.sort(compareKeys)).to.deep.equal(keys);
    const copy = await Promise.all([0, 1].map((i) => runCli(['cp', '-r', '--shard', `${i}/2`, url('k/'), url('k-copy/')])));
    expect(copy.flatMap((r) => ok(r).stdout.split('\n').filter(Boolean))).to.have.length(keys.length);
  });

  it('rm -r --shard with a shared --shard-sample deletes every key exactly once across 3 processes', async () => {
    const sample = ok(await runCli(['ls', '--sample', url('k/')]));
    const file = join(dir.path, 'sample.jsonl');
    await writeFile(file, sample.stdout);
    expect(sample.stdout.split('\n').filter(Boolean).every((l) => typeof JSON.parse(l) === 'string')).to.equal(true);
    const runs = await Promise.all([0, 1, 2].map((i) => runCli(['rm', '-r', '--shard', `${i}/3`, '--shard-sample', file, url('k')])));
    const deleted = runs.flatMap((r) => ok(r).stdout.split('\n').filter(Boolean)).map((l) => l.replace(`delete: ${url()}`, ''));
    expect([...deleted].sort(compareKeys)).to.deep.equal(keys);
    const left = (await collect(fx.rx.listObjects(fx.bucket, { prefix: 'k/' }))).flatMap((p) => p.unwrap().objects);
    expect(left).to.be.empty;
  });

  it('usage errors: --shard without --recursive, a shard out of range, --shard-sample alone (exit 2)', async () => {
    const results = await Promise.all([
      runCli(['ls', '--shard', '0/2', url('k/')]),
      runCli(['ls', '-r', '--shard', '2/2', url('k/')]),
      runCli(['rm', '--shard', '0/2', url('k/x')]),
      runCli(['ls', '-r', '--shard-sample', 'x.jsonl', url('k/')]),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/--shard/);
    }
  });
});
