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

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const count = Number(values.count);
const rounds = Number(values.rounds);

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

  async function timed(run: () => Promise<void>): Promise<number> {
    const before = process.cpuUsage();
    for (let i = 0; i < count; i += 1) await run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / count;
  }

  const results: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, rx] of Object.entries(clients)) {
      if (name !== 'lean-unsigned') {
        const head = await timed(async () => {
          const r = await lastValueFrom(rx.getObjectMetadata('bench', 'head-me'));
          if (!r.ok) throw new Error(r.val.message);
        });
        (results[`head ${name}`] ??= []).push(head);
      }
      let i = 0;
      const put = await timed(async () => {
        const r = await lastValueFrom(rx.putObject('bench', `p/${name}/${i++}`, body, { integrity: false }));
        if (!r.ok) throw new Error(r.val.message);
      });
      (results[`put 1KiB ${name}`] ??= []).push(put);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, xs] of Object.entries(results)) console.log(`${name.padEnd(24)} ${median(xs).toFixed(3)} CPU-ms/op (rounds: ${xs.map((x) => x.toFixed(3)).join(' ')})`);
  for (const rx of Object.values(clients)) rx.destroy();
  sink.stdin!.end();
}

void main();
