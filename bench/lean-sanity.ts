/**
 * A sanity check of the lean data plane (not a benchmark): CPU ms per HeadObject and per 1 KiB PutObject, lean
 * against sdk, in one process, against the sink (started here). Rounds interleaved; medians printed.
 *
 *   node --import tsx bench/lean-sanity.ts [--count 2000] [--rounds 5]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { lastValueFrom } from 'rxjs';
import { RxS3, type RxS3Options } from '../lib/index';
import { minioClient } from './lib/minio';
import { contextOf } from '../lib/internal/context';
import { HeadObjectCommand } from '@aws-sdk/client-s3';

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const count = Number(values.count);
const rounds = Number(values.rounds);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const sink = spawn(process.execPath, ['--import', 'tsx', 'bench/sink-server.ts', '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(sink.stdout!, 'data')) as [Buffer];
  const endpoint = (JSON.parse(line.toString().split('\n')[0]!) as { endpoint: string }).endpoint;
  const base: RxS3Options = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } };
  const clients: Record<string, RxS3> = {
    sdk: new RxS3({ ...base, dataPlane: 'sdk' }),
    lean: new RxS3({ ...base, dataPlane: 'auto' }),
    'lean-unsigned': new RxS3({ ...base, dataPlane: 'auto', payloadSigning: 'unsigned' }),
  };
  await clients.sdk!.client.send(new CreateBucketCommand({ Bucket: 'bench' }));
  await lastValueFrom(clients.sdk!.putObject('bench', 'head-me', 'x'));
  const body = Buffer.alloc(1024, 'x');

  const wall: Record<string, number[]> = {};
  async function timed(run: () => Promise<void>, name = ''): Promise<number> {
    const before = process.cpuUsage();
    const times: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const start = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const used = process.cpuUsage(before);
    (wall[name] ??= []).push(median(times));
    return (used.user + used.system) / 1000 / count;
  }

  const results: Record<string, number[]> = {};
  const minio = minioClient({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  for (let round = 0; round < rounds; round += 1) {
    (results['head minio-js'] ??= []).push(await timed(async () => {
      await minio.statObject('bench', 'head-me');
    }, 'head minio-js'));
    const data = contextOf(clients.lean!)!.data;
    (results['head lean data.send'] ??= []).push(await timed(async () => {
      await data.send(new HeadObjectCommand({ Bucket: 'bench', Key: 'head-me' }));
    }, 'head lean data.send'));
    let m = 0;
    (results['put 1KiB minio-js'] ??= []).push(await timed(async () => {
      await minio.putObject('bench', `p/minio/${m++}`, body, body.length);
    }, 'put 1KiB minio-js'));
    for (const [name, rx] of Object.entries(clients)) {
      if (name !== 'lean-unsigned') {
        const head = await timed(async () => {
          const r = await lastValueFrom(rx.getObjectMetadata('bench', 'head-me'));
          if (!r.ok) throw new Error(r.val.message);
        }, `head ${name}`);
        (results[`head ${name}`] ??= []).push(head);
      }
      let i = 0;
      const put = await timed(async () => {
        const r = await lastValueFrom(rx.putObject('bench', `p/${name}/${i++}`, body, { integrity: false }));
        if (!r.ok) throw new Error(r.val.message);
      }, `put 1KiB ${name}`);
      (results[`put 1KiB ${name}`] ??= []).push(put);
    }
  }
  for (const [name, xs] of Object.entries(results)) {
    console.log(`${name.padEnd(24)} ${median(xs).toFixed(3)} CPU-ms/op, p50 ${median(wall[name] ?? []).toFixed(3)} ms (CPU per round: ${xs.map((x) => x.toFixed(3)).join(' ')})`);
  }
  for (const rx of Object.values(clients)) rx.destroy();
  sink.stdin!.end();
}

void main();
