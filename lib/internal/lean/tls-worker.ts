/**
 * The body of one TLS reader thread (see tls-workers.ts): its own keep-alive TLS connections and staging memory,
 * the socket reader's `getIntoFile` for each request the main thread posts, and the answers posted back. It
 * imports nothing but the socket reader (no SDK), so it starts in a few tens of milliseconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import type { ConnectionOptions } from 'node:tls';
import { destroyedError } from './socket-pool';
import { getIntoFile, SocketPool } from './socket-reader';
import { setStagingLimit } from './socket-staging';
import type { FromWorker, ToWorker, WorkerSetup, WorkerError } from './tls-workers';

const port = parentPort;
if (port === null) throw new Error('tls-worker runs in a worker thread');
const setup = workerData as WorkerSetup;
setStagingLimit(setup.stagingBlocks);
const pool = new SocketPool({ maxSockets: setup.maxSockets, tls: revive(setup.tls) });
/** Requests in flight, by id. */
const running = new Map<number, AbortController>();
let closing = false;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port!.postMessage(message, transfer);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'get') {
    if (closing) {
      post({ type: 'failed', id: message.id, error: describe(destroyedError()) });
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    const id = message.id;
    // The bytes stay here: a caller that verifies the download gets their CRC32 with each write instead.
    const onWritten = message.target.wantsCrc32 === true
      ? (bytes: number, chunks: readonly Buffer[]) => post({ type: 'written', id, bytes, crc32: chunks.reduce((crc, chunk) => crc32(chunk, crc), 0) >>> 0 })
      : (bytes: number) => post({ type: 'written', id, bytes });
    getIntoFile(pool, message.request, message.target, onWritten, controller.signal, message.limits).then(
      (result) => {
        const errorBody = result.errorBody === undefined ? undefined : new Uint8Array(result.errorBody);
        post({ type: 'done', id, status: result.status, headers: result.headers, written: result.written, errorBody }, errorBody === undefined ? undefined : [errorBody.buffer]);
      },
      (error: unknown) => post({ type: 'failed', id, error: describe(error) }),
    ).finally(() => {
      running.delete(id);
      if (closing && running.size === 0) port.close();
    });
  } else if (message.type === 'abort') {
    running.get(message.id)?.abort();
  } else {
    // Shut down: busy connections are cut (their requests fail, after their writes landed), then the thread ends.
    closing = true;
    pool.destroy();
    if (running.size === 0) port.close();
  }
});
post({ type: 'ready' });

/** An error as plain data: its name, message and every own field that is a string, number or boolean. */
function describe(thrown: unknown): WorkerError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const fields: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[name] = value;
  }
  return { ...fields, name: error.name, message: error.message };
}

/** TLS options as they arrived (buffers come as Uint8Array): buffers again. */
function revive(options: ConnectionOptions): ConnectionOptions {
  const buffer = (value: unknown): unknown => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) out[name] = Array.isArray(value) ? value.map(buffer) : buffer(value);
  return out as ConnectionOptions;
}
