/**
 * The fault proxy of the test suite (spec/support/fault-proxy.ts) as its own process, for the soak: it forwards to
 * an S3 endpoint and breaks a share of the requests at random, on the wire, so its CPU, memory and sockets are not
 * the client's.
 *
 *   node --import tsx bench/fault-proxy-process.ts --upstream http://127.0.0.1:PORT --rate 0.05
 *
 * Prints `{"endpoint":"http://127.0.0.1:PORT"}` once listening. When stdin closes it prints
 * `{"applied":{...}}` (how many requests met each fault) and exits.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { FaultProxy, requests, type Fault, type SeenRequest } from '../spec/support/fault-proxy';

const { values: args } = parseArgs({ options: { upstream: { type: 'string' }, rate: { type: 'string', default: '0.05' } } });

/** The faults, each for an equal share of the rate; a request meets at most one (the first whose draw hits). */
const FAULTS: ReadonlyArray<{ readonly name: string; readonly match?: (r: SeenRequest) => boolean; readonly action: Fault['action'] }> = [
  { name: 'slowDown503', action: { kind: 'error', status: 503, code: 'SlowDown' } },
  // A reset while the request body is sent (PUTs and parts) or while the answer is read.
  { name: 'resetRequest', match: (r) => r.method === 'PUT' || r.method === 'POST', action: { kind: 'reset-request', afterBytes: 512 } },
  { name: 'resetResponse', action: { kind: 'reset-response', afterBytes: 512 } },
  { name: 'truncate', action: { kind: 'truncate', afterBytes: 512 } },
  // A response that stops flowing: only the client's idle timeout ends it.
  { name: 'stall', action: { kind: 'stall', afterBytes: 256 } },
  // Object bodies only: a listing or an XML answer has no checksum (TCP and TLS are what protect those).
  { name: 'flip', match: requests.get, action: { kind: 'flip', atByte: 300 } },
];

async function main(): Promise<void> {
  if (args.upstream === undefined) throw new Error('--upstream is required');
  const share = Number(args.rate) / FAULTS.length;
  const proxy = await FaultProxy.start({ upstream: args.upstream, record: false });
  proxy.inject(
    ...FAULTS.map((f): Fault => ({ match: (r) => (f.match === undefined || f.match(r)) && Math.random() < share, times: Infinity, action: f.action })),
  );
  process.stdout.write(`${JSON.stringify({ endpoint: proxy.endpoint })}\n`);
  await new Promise<void>((resolve) => {
    createInterface({ input: process.stdin }).on('close', resolve);
  });
  const applied = Object.fromEntries(FAULTS.map((f, i) => [f.name, proxy.applied[i] ?? 0]));
  await proxy.stop();
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
