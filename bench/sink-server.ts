/**
 * A sink S3 endpoint for benchmarks: uploads are counted and discarded, downloads are served from one
 * repeated in-memory buffer. Path-style only (`/bucket/key`), no auth checks, sizes kept in memory.
 *
 *   node --import tsx bench/sink-server.ts [--port N] [--exit-with-stdin] [--tls-cert FILE --tls-key FILE]
 *
 * Prints `{"endpoint":"http://127.0.0.1:PORT"}` once listening. With `--tls-cert`/`--tls-key` the endpoint is
 * `https://` (the certificate is the caller's: bench/lib/env.ts makes a self-signed one that only the benchmark's
 * clients trust), and `"control"` names a plain-http port of the same sink for the harness's own stats and warm-up. `GET /_sink/stats` answers the sink's own
 * CPU time and byte counters as JSON (bucket names cannot start with `_`, so it shadows nothing);
 * `POST /_sink/populate?bucket=B&prefix=P&count=N[&size=S]` records N keys at once, for listing benchmarks.
 * Uploaded keys are recorded (size and ETag only), so ListObjects (V1 and V2, with prefix, delimiter, max-keys,
 * start-after and continuation tokens) and HeadObject see them. `SINK_LOG=1` logs every request on stderr.
 *
 * Synthetic listings of any size: `POST /_sink/synthetic?bucket=B&count=N&prefixes=P` makes bucket B list N keys
 * `p0000/0000000000` ... spread evenly over P "directories", computed on demand (nothing stored, so 10,000,000
 * keys cost no memory; a page costs a binary search plus the page). `--latency-ms N` delays every answer by N ms,
 * like a round trip to a distant region.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

interface StoredObject {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}
interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly parts: Map<number, number>; // part number -> size
}

const objects = new Map<string, StoredObject>(); // `${bucket}/${key}`
const uploads = new Map<string, Upload>();
const stats = { requests: 0, bytesIn: 0, bytesOut: 0 };
const BLOCK = randomBytes(1024 * 1024); // served over and over
const STARTED = new Date();
let nextId = 1;
/** `SINK_LOG=1`: one line per request on stderr (method, URL, payload hash header, user agent), for debugging. */
const LOG = process.env.SINK_LOG === '1';

// ---- helpers -----------------------------------------------------------------------------------------

/** A quoted 32-hex-digit ETag derived from a few numbers (no hashing of data). */
function etagOf(...parts: number[]): string {
  return `"${parts.map((p) => p.toString(16).padStart(8, '0')).join('').padStart(32, '0').slice(-32)}"`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendXml(res: Res, status: number, body: string): void {
  const buf = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': buf.length });
  res.end(buf);
}

function sendError(req: Req, res: Res, status: number, code: string, message: string): void {
  if (req.method === 'HEAD') {
    res.writeHead(status).end();
    return;
  }
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${res.getHeader('x-amz-request-id')}</RequestId></Error>`);
}

function empty(res: Res, status: number, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, headers).end();
}

/** Reads and discards the body, resolving its size on the wire. */
function drainBody(req: Req): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    req.on('data', (chunk: Buffer) => (n += chunk.length));
    req.on('end', () => {
      stats.bytesIn += n;
      resolve(n);
    });
    req.on('error', reject);
  });
}

/** Reads a (small) body as text, for CompleteMultipartUpload. */
async function readText(req: Req): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Payload size: aws-chunked bodies carry framing, the decoded length is in a header. */
function payloadSize(req: Req, wire: number): number {
  const decoded = req.headers['x-amz-decoded-content-length'];
  return typeof decoded === 'string' ? Number(decoded) : wire;
}

/** A recorded object, or a synthetic one for keys named `size-<bytes>` (last path segment). */
function lookup(bucket: string, key: string): StoredObject | undefined {
  const stored = objects.get(`${bucket}/${key}`);
  if (stored) return stored;
  const m = /(?:^|\/)size-(\d+)$/.exec(key);
  if (!m) return undefined;
  const size = Number(m[1]);
  return { size, etag: etagOf(0x5a5a, size), lastModified: STARTED };
}

// ---- objects -----------------------------------------------------------------------------------------

function objectHeaders(obj: StoredObject): http.OutgoingHttpHeaders {
  return {
    ETag: obj.etag,
    'Last-Modified': obj.lastModified.toUTCString(),
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
  };
}

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n`; null when unsatisfiable, undefined when absent/ignored. */
function parseRange(header: string | undefined, size: number): [number, number] | null | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multi-range etc.: serve the whole object
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return n === 0 ? null : [size - n, size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? null : [start, end];
}

function preconditionFails(req: Req, obj: StoredObject): boolean {
  const ifMatch = req.headers['if-match'];
  return ifMatch !== undefined && ifMatch !== '*' && !ifMatch.split(',').some((t) => t.trim() === obj.etag);
}

function headObject(req: Req, res: Res, obj: StoredObject): void {
  if (preconditionFails(req, obj)) return sendError(req, res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  empty(res, 200, { ...objectHeaders(obj), 'Content-Length': obj.size });
}

function getObject(req: Req, res: Res, obj: StoredObject): void {
  if (preconditionFails(req, obj)) return sendError(req, res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  const range = parseRange(req.headers.range, obj.size);
  if (range === null) {
    res.setHeader('Content-Range', `bytes */${obj.size}`);
    return sendError(req, res, 416, 'InvalidRange', 'The requested range is not satisfiable');
  }
  const [start, end] = range ?? [0, obj.size - 1];
  const headers = { ...objectHeaders(obj), 'Content-Length': end - start + 1 };
  if (range) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${obj.size}` });
  else res.writeHead(200, headers);
  streamBytes(res, start % BLOCK.length, end - start + 1);
}

/** Writes `remaining` bytes of the repeated block, starting at `offset` in it, honouring backpressure. */
function streamBytes(res: Res, offset: number, remaining: number): void {
  const pump = (): void => {
    while (remaining > 0) {
      const chunk = BLOCK.subarray(offset, offset + Math.min(BLOCK.length - offset, remaining));
      remaining -= chunk.length;
      stats.bytesOut += chunk.length;
      offset = 0;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => (remaining = 0)); // client went away: stop pumping
  pump();
}

async function putObject(req: Req, res: Res, bucket: string, key: string): Promise<void> {
  if (req.headers['x-amz-copy-source']) return sendError(req, res, 501, 'NotImplemented', 'CopyObject is not implemented by the sink');
  const size = payloadSize(req, await drainBody(req));
  const obj = { size, etag: etagOf(0x9e7, size), lastModified: new Date() };
  store(bucket, key, obj);
  empty(res, 200, { ETag: obj.etag });
}

// ---- multipart ---------------------------------------------------------------------------------------

function createMultipart(res: Res, bucket: string, key: string): void {
  const uploadId = `sink-${process.pid}-${nextId++}`;
  uploads.set(uploadId, { bucket, key, parts: new Map() });
  sendXml(res, 200, `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
}

async function uploadPart(req: Req, res: Res, upload: Upload, partNumber: number): Promise<void> {
  const size = payloadSize(req, await drainBody(req));
  upload.parts.set(partNumber, size);
  empty(res, 200, { ETag: etagOf(partNumber, size) });
}

async function completeMultipart(req: Req, res: Res, uploadId: string, upload: Upload): Promise<void> {
  const listed = [...(await readText(req)).matchAll(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/g)].map((m) => Number(m[1]));
  const numbers = listed.length > 0 ? listed : [...upload.parts.keys()];
  const size = numbers.reduce((sum, n) => sum + (upload.parts.get(n) ?? 0), 0);
  const etag = `"${etagOf(0xc0, size).slice(1, -1)}-${numbers.length}"`;
  store(upload.bucket, upload.key, { size, etag, lastModified: new Date() });
  uploads.delete(uploadId);
  const { bucket, key } = upload;
  sendXml(res, 200, `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://${req.headers.host}/${xmlEscape(bucket)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`);
}

// ---- buckets -----------------------------------------------------------------------------------------

/** Per bucket, its keys in UTF-8 binary order; rebuilt lazily after a write to that bucket. */
const sortedKeys = new Map<string, string[]>();
/** UTF-16 order: the same as S3's UTF-8 byte order except for characters beyond U+FFFF (fine for a sink). */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Each listed object's `<Contents>` element, made once: a page then costs little more than a join. */
const contentsXml = new Map<string, string>();

function keysOf(bucket: string): string[] {
  let keys = sortedKeys.get(bucket);
  if (keys === undefined) {
    const head = `${bucket}/`;
    keys = [];
    for (const k of objects.keys()) if (k.startsWith(head)) keys.push(k.slice(head.length));
    keys.sort(byteOrder);
    sortedKeys.set(bucket, keys);
  }
  return keys;
}

function store(bucket: string, key: string, obj: StoredObject): void {
  if (!objects.has(`${bucket}/${key}`)) sortedKeys.delete(bucket);
  objects.set(`${bucket}/${key}`, obj);
  contentsXml.delete(`${bucket}/${key}`);
}

function remove(bucket: string, key: string): void {
  if (objects.delete(`${bucket}/${key}`)) sortedKeys.delete(bucket);
  contentsXml.delete(`${bucket}/${key}`);
}

/** The index of the first key strictly after `after` (binary search). */
function firstAfter(keys: readonly string[], after: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byteOrder(keys[mid]!, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * ListObjectsV2 (and V1 with `marker`): prefix, delimiter, max-keys, start-after, continuation tokens (the last
 * key returned, base64url). One page costs a binary search plus the page itself, so 100,000 keys list in linear time.
 */
function listObjects(res: Res, bucket: string, query: URLSearchParams): void {
  const v2 = query.get('list-type') === '2';
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const max = Math.min(1000, Math.max(0, Number(query.get('max-keys') ?? 1000)));
  const token = query.get('continuation-token');
  const after = token !== null ? Buffer.from(token, 'base64').toString('utf8') : (v2 ? query.get('start-after') : query.get('marker')) ?? '';
  const keys = keysOf(bucket);
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (let i = Math.max(firstAfter(keys, after), firstAfter(keys, prefix) - 1, 0); i < keys.length; i++) {
    const key = keys[i]!;
    if (!key.startsWith(prefix)) {
      if (key > prefix) break;
      continue;
    }
    if (contents.length + prefixes.length >= max) {
      truncated = true;
      break;
    }
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (cut >= 0) {
      const common = key.slice(0, cut + delimiter.length);
      prefixes.push(common);
      last = common;
      // Skip every key under this common prefix.
      while (i + 1 < keys.length && keys[i + 1]!.startsWith(common)) i++;
      last = keys[i]!;
      continue;
    }
    const id = `${bucket}/${key}`;
    let xml = contentsXml.get(id);
    if (xml === undefined) {
      const o = objects.get(id)!;
      xml = `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      contentsXml.set(id, xml);
    }
    contents.push(xml);
    last = key;
  }
  const count = contents.length + prefixes.length;
  const common = prefixes.map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`).join('');
  const next = truncated ? Buffer.from(last).toString('base64url') : '';
  const paging = v2
    ? `<KeyCount>${count}</KeyCount>${token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}${truncated ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}`
    : `<Marker>${xmlEscape(query.get('marker') ?? '')}</Marker>${truncated ? `<NextMarker>${xmlEscape(last)}</NextMarker>` : ''}`;
  sendXml(res, 200, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<MaxKeys>${max}</MaxKeys>${paging}<IsTruncated>${truncated}</IsTruncated>${contents.join('')}${common}</ListBucketResult>`);
}

// ---- synthetic listings ------------------------------------------------------------------------------

interface Synthetic {
  readonly count: number;
  readonly prefixes: number;
}
/** Buckets whose listing is computed: key i is `p<dir>/<i>`, with i spread evenly over the directories. */
const synthetic = new Map<string, Synthetic>();

function syntheticKey(s: Synthetic, i: number): string {
  return `p${String(Math.floor((i * s.prefixes) / s.count)).padStart(4, '0')}/${String(i).padStart(10, '0')}`;
}

/** The first index in [lo, count) whose key fails `before` (keys are sorted, so `before` holds for a prefix of them). */
function searchSynthetic(s: Synthetic, lo: number, before: (key: string) => boolean): number {
  let hi = s.count;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (before(syntheticKey(s, mid))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const SYNTHETIC_DATE = new Date('2026-01-01T00:00:00Z').toISOString();

/** ListObjectsV2 over a synthetic bucket: prefix, delimiter, max-keys, start-after, continuation tokens. */
function listSynthetic(res: Res, bucket: string, s: Synthetic, query: URLSearchParams): void {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const max = Math.min(1000, Math.max(0, Number(query.get('max-keys') ?? 1000)));
  const token = query.get('continuation-token');
  const after = token !== null ? Buffer.from(token, 'base64').toString('utf8') : query.get('start-after') ?? '';
  let i = searchSynthetic(s, 0, (k) => byteOrder(k, after) <= 0 || byteOrder(k, prefix) < 0);
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last = '';
  let truncated = false;
  while (i < s.count) {
    const key = syntheticKey(s, i);
    if (!key.startsWith(prefix)) break;
    if (contents.length + prefixes.length >= max) {
      truncated = true;
      break;
    }
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (cut >= 0) {
      const common = key.slice(0, cut + delimiter.length);
      prefixes.push(`<CommonPrefixes><Prefix>${xmlEscape(common)}</Prefix></CommonPrefixes>`);
      last = common;
      i = searchSynthetic(s, i, (k) => byteOrder(k, common) < 0 || k.startsWith(common));
      continue;
    }
    contents.push(`<Contents><Key>${key}</Key><LastModified>${SYNTHETIC_DATE}</LastModified><ETag>${etagOf(0x5e, i)}</ETag><Size>${i % 4096}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    last = key;
    i += 1;
  }
  const next = truncated ? Buffer.from(last).toString('base64url') : '';
  const paging = `<KeyCount>${contents.length + prefixes.length}</KeyCount>${token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}${truncated ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}`;
  sendXml(res, 200, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<MaxKeys>${max}</MaxKeys>${paging}<IsTruncated>${truncated}</IsTruncated>${contents.join('')}${prefixes.join('')}</ListBucketResult>`);
}

/** `POST /_sink/synthetic?bucket=B&count=N&prefixes=P`: bucket B now lists N computed keys over P directories. */
function makeSynthetic(res: Res, query: URLSearchParams): void {
  const bucket = query.get('bucket') ?? '';
  const count = Number(query.get('count') ?? 0);
  const prefixes = Math.max(1, Number(query.get('prefixes') ?? 1));
  synthetic.set(bucket, { count, prefixes });
  const body = JSON.stringify({ bucket, count, prefixes });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

/** `POST /_sink/populate?bucket=B&prefix=P&count=N&size=S`: records N keys `P000000...` without N requests. */
function populate(res: Res, query: URLSearchParams): void {
  const bucket = query.get('bucket') ?? '';
  const prefix = query.get('prefix') ?? '';
  const count = Number(query.get('count') ?? 0);
  const size = Number(query.get('size') ?? 0);
  const now = new Date();
  for (let i = 0; i < count; i++) store(bucket, `${prefix}${String(i).padStart(7, '0')}`, { size, etag: etagOf(0x9e7, i, size), lastModified: now });
  const body = JSON.stringify({ bucket, prefix, count });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

function sinkStats(res: Res): void {
  const cpu = process.cpuUsage();
  const body = JSON.stringify({ ...stats, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSSKiB: process.resourceUsage().maxRSS });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

// ---- routing -----------------------------------------------------------------------------------------

async function route(req: Req, res: Res): Promise<void> {
  stats.requests++;
  res.setHeader('x-amz-request-id', `SINK${(nextId++).toString(16).toUpperCase()}`);
  const url = new URL(req.url ?? '/', 'http://sink');
  const q = url.searchParams;
  q.delete('x-id'); // the JS SDK tags every request with `?x-id=<Command>`
  const plain = q.size === 0;
  const slash = url.pathname.indexOf('/', 1);
  const bucket = decodeURIComponent(slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
  const key = slash < 0 ? '' : decodeURIComponent(url.pathname.slice(slash + 1));
  const method = req.method ?? 'GET';
  if (LOG) console.error(`sink: ${method} ${req.url} sha256=${String(req.headers['x-amz-content-sha256'] ?? '-').slice(0, 24)} md5=${req.headers['content-md5'] ?? '-'} ua=${String(req.headers['user-agent'] ?? '').slice(0, 40)}`);

  if (bucket === '_sink' && key === 'stats') return sinkStats(res);
  if (bucket === '_sink' && key === 'populate' && method === 'POST') return populate(res, q);
  if (bucket === '_sink' && key === 'synthetic' && method === 'POST') return makeSynthetic(res, q);
  const computed = synthetic.get(bucket);
  if (computed !== undefined && key === '' && method === 'GET' && q.get('list-type') === '2') return listSynthetic(res, bucket, computed, q);
  if (bucket === '') {
    if (method === 'GET') return sendXml(res, 200, `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>sink</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`);
  } else if (key === '') {
    // Every bucket exists: the sink keeps no bucket state.
    if (method === 'PUT') return void (await drainBody(req), empty(res, 200, { Location: `/${bucket}` }));
    if (method === 'HEAD') return empty(res, 200, { 'x-amz-bucket-region': 'us-east-1' });
    if (method === 'DELETE') return empty(res, 204);
    if (method === 'GET' && q.has('uploads')) return sendXml(res, 200, `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`); // minio-js asks before a multipart upload (the sink lists none)
    if (method === 'GET' && q.has('location')) return sendXml(res, 200, '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>'); // minio-js asks
    if (method === 'GET' && (q.get('list-type') === '2' || plain || q.has('prefix') || q.has('marker') || q.has('max-keys'))) return listObjects(res, bucket, q);
  } else {
    const uploadId = q.get('uploadId');
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload) return void (await drainBody(req), sendError(req, res, 404, 'NoSuchUpload', 'The specified upload does not exist'));
      if (method === 'PUT' && !req.headers['x-amz-copy-source']) return uploadPart(req, res, upload, Number(q.get('partNumber')));
      if (method === 'POST') return completeMultipart(req, res, uploadId, upload);
      if (method === 'DELETE') return void (uploads.delete(uploadId), empty(res, 204));
    } else if (method === 'POST' && q.has('uploads')) {
      return void (await drainBody(req), createMultipart(res, bucket, key));
    } else if (method === 'PUT' && plain) {
      return putObject(req, res, bucket, key);
    } else if (method === 'DELETE' && plain) {
      remove(bucket, key);
      return empty(res, 204);
    } else if ((method === 'GET' || method === 'HEAD') && [...q.keys()].every((k) => k.startsWith('response-'))) {
      const obj = lookup(bucket, key);
      if (!obj) return sendError(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return method === 'HEAD' ? headObject(req, res, obj) : getObject(req, res, obj);
    }
  }
  if (!req.complete) await drainBody(req);
  sendError(req, res, 501, 'NotImplemented', `The sink does not implement ${method} ${req.url}`);
}

// ---- main --------------------------------------------------------------------------------------------

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'exit-with-stdin': { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '0' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
const latencyMs = Number(values['latency-ms']);
const handler = (req: Req, res: Res): void => {
  const answer = (): Promise<void> => route(req, res);
  const routed = latencyMs > 0 && !(req.url ?? '').startsWith('/_sink/') ? new Promise<void>((resolve) => setTimeout(resolve, latencyMs)).then(answer) : answer();
  routed.catch((err: unknown) => {
    if (!res.headersSent) sendError(req, res, 500, 'InternalError', String(err));
    else res.destroy();
  });
};
const tls = values['tls-cert'] !== undefined && values['tls-key'] !== undefined;
const server = tls ? https.createServer({ cert: readFileSync(values['tls-cert']!), key: readFileSync(values['tls-key']!) }, handler) : http.createServer(handler);
/** With TLS, the same sink on plain http too: the harness reads its stats there without trusting the certificate. */
const control = tls ? http.createServer(handler) : undefined;
for (const s of [server, control]) {
  if (s === undefined) continue;
  s.keepAliveTimeout = 65_000; // longer than the SDK's idle sockets live
  s.headersTimeout = 66_000;
  s.requestTimeout = 0; // big uploads may take long
}
const portOf = (s: http.Server): number => {
  const address = s.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected server address');
  return address.port;
};
server.listen(Number(values.port), '127.0.0.1', () => {
  const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${portOf(server)}`;
  if (control === undefined) {
    process.stdout.write(`${JSON.stringify({ endpoint })}\n`);
    return;
  }
  control.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ endpoint, control: `http://127.0.0.1:${portOf(control)}` })}\n`));
});

function shutdown(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  control?.close();
  control?.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Spawned by the harness: its end of our stdin closes when it dies, however it dies.
if (values['exit-with-stdin']) process.stdin.on('close', shutdown).resume();
