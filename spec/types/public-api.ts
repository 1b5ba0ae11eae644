/**
 * Type tests for the public surface: this file is only type-checked (`npm run typecheck`), never run.
 * Each `@ts-expect-error` is a promise that a misuse does not compile.
 */
import type { Observable } from 'rxjs';
import {
  RxS3,
  type DeleteFailure,
  cutKeyRanges,
  Ok as OkValue,
  type KeyRange,
  type KeySample,
  type WalkPage,
  type DownloadEvent,
  type FileUploadEvent,
  type MoveEvent,
  type ObjectPage,
  type Result,
  type S3Error,
  type S3ErrorKind,
  type SizedTransferProgress,
  type TransferProgress,
  type UploadEvent,
} from '../../lib';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

declare const rx: RxS3;

// Every operation is an Observable of Results whose error side is S3Error.
assertType<Equals<ReturnType<RxS3['listObjects']>, Observable<Result<ObjectPage, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['moveObject']>, Observable<Result<MoveEvent, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['uploadFile']>, Observable<Result<FileUploadEvent, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['uploadStream']>, Observable<Result<UploadEvent, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['downloadFile']>, Observable<Result<DownloadEvent, S3Error>>>>();

// `kind` is a closed union: a typo does not compile.
const kind: S3ErrorKind = 'NoSuchKey';
// @ts-expect-error 'NoSuchObject' is not a kind
const wrongKind: S3ErrorKind = 'NoSuchObject';

rx.getObjectMetadata('b', 'k').subscribe((result) => {
  // @ts-expect-error the value is only reachable once the Result is narrowed
  result.val.contentLength.toFixed();
  if (result.ok) {
    const size: number = result.val.contentLength;
    const cached: boolean = result.val.fromCache;
    void [size, cached];
  } else {
    const error: S3Error = result.val;
    void error.kind;
  }
});

// Transfer events narrow on `kind`; `output` exists only on `complete`. A file's size is known before its first
// byte, so its ticks have a total and a percent; a stream's may not.
rx.uploadFile('b', 'k', '/tmp/f').subscribe((result) => {
  if (!result.ok) return;
  const event = result.val;
  if (event.kind === 'progress') {
    const total: number = event.totalBytes;
    const percent: number = event.percent;
    void [total, percent];
    // @ts-expect-error progress ticks carry no output
    void event.output;
  } else {
    const parts: number = event.output.parts;
    void parts;
  }
});
rx.downloadFile('b', 'k', '/tmp/f').subscribe((result) => {
  if (result.ok && result.val.kind === 'progress') assertType<Equals<typeof result.val, SizedTransferProgress>>();
});
rx.uploadStream('b', 'k', process.stdin).subscribe((result) => {
  if (!result.ok || result.val.kind !== 'progress') return;
  // @ts-expect-error a stream of unknown length has no total
  const total: number = result.val.totalBytes;
  // @ts-expect-error ...nor a percent
  const percent: number = result.val.percent;
  void [total, percent];
});
// A renderer written for any transfer takes the sized ticks too.
const render = (tick: TransferProgress): string => `${tick.transferredBytes}`;
rx.uploadFile('b', 'k', '/tmp/f').subscribe((r) => r.ok && r.val.kind === 'progress' && render(r.val));

// Errors and refused keys branch on `kind`; `cause` is an Error.
rx.deleteObjects('b', ['k']).subscribe((result) => {
  if (!result.ok) return void (result.val.cause satisfies Error | undefined);
  for (const failure of result.val.errors) {
    const k: S3ErrorKind = failure.kind;
    void k;
  }
});
assertType<Equals<DeleteFailure['kind'], S3ErrorKind>>();

// Move events narrow on `kind`, like every event; copy and move take { bucket, key } objects.
rx.moveObject({ bucket: 'a', key: 'k' }, { bucket: 'b', key: 'k' }).subscribe((result) => {
  if (result.ok && result.val.kind === 'copied') void result.val.verified.size;
  if (result.ok && result.val.kind === 'deleted') void result.val.delete.key;
  if (result.ok && result.val.kind === 'progress') void result.val.transferredBytes;
});
rx.copyObject({ bucket: 'a', key: 'k', versionId: 'v1' }, { bucket: 'b', key: 'k' }).subscribe((result) => {
  if (result.ok && result.val.kind === 'complete') void result.val.output.parts;
});
// @ts-expect-error copyObject no longer takes four strings in a row
rx.copyObject('a', 'k', 'b', 'k');
// Typed options win over the SDK's own fields (`params`), which are checked against the SDK's input type.
rx.putObject('b', 'k', 'x', { contentType: 'text/plain', params: { CacheControl: 'no-cache', StorageClass: 'STANDARD_IA' } });
// @ts-expect-error Body is the third argument, not a param
rx.putObject('b', 'k', 'x', { params: { Body: 'y' } });
// @ts-expect-error ifNoneMatch only takes '*'
rx.putObject('b', 'k', 'x', { ifNoneMatch: '"etag"' });

// Options are objects with checked fields.
// @ts-expect-error presign methods are GET, PUT, DELETE and HEAD
rx.generatePresignedUrl('POST', 'b', 'k');
// @ts-expect-error ttl is a number of seconds
rx.generatePresignedUrl('GET', 'b', 'k', { ttl: '1h' });
// @ts-expect-error listObjects takes an options object, not positional arguments
rx.listObjects('b', 'prefix/');

// Timeouts are milliseconds, on the client and per call.
new RxS3({ timeouts: { connectMs: 1_000, idleMs: 5_000 } });
rx.downloadFile('b', 'k', './k', { timeouts: { deadlineMs: 60_000 } });
// @ts-expect-error timeouts are numbers of milliseconds
rx.uploadFile('b', 'k', './k', { timeouts: { idleMs: '30s' } });

void [kind, wrongKind];

// Bulk jobs: one Observable of BulkEvent Results; events narrow on `kind`; a budget is a shared value.
import type { Budget as BudgetType, BulkEvent } from '../../lib';
assertType<Equals<ReturnType<RxS3['sync']>, Observable<Result<BulkEvent, S3Error>>>>();
declare const budget: BudgetType;
rx.sync({ from: './dir', to: { bucket: 'b', prefix: 'p/' }, delete: true, budget, filters: [{ exclude: '*.tmp' }] }).subscribe((result) => {
  if (result.ok && result.val.kind === 'failed') void result.val.error.kind;
  if (result.ok && result.val.kind === 'summary') void (result.val.ok && result.val.failedKeys.length);
});
rx.uploadFile('b', 'k', './f', { budget });
// @ts-expect-error a filter is { include } or { exclude }
rx.uploadDirectory('./dir', 'b', 'p/', { filters: [{ match: '*' }] });
// Huge listings: the walk and the sample are Result streams too; forEachObject's values are what `work` emits.
assertType<Equals<ReturnType<RxS3['walkObjects']>, Observable<Result<WalkPage, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['sampleKeySpace']>, Observable<Result<KeySample, S3Error>>>>();
const sizes$: Observable<Result<number, S3Error>> = rx.forEachObject('b', async (o) => OkValue(o.size), { concurrency: 4 });
const ranges: KeyRange[] = cutKeyRanges(['a', 'b'], 2);
const token: string = ({} as ObjectPage).resumeToken;
// @ts-expect-error `work` must emit Results (failures are values), not bare values
rx.forEachObject('b', async (o) => o.size);
// @ts-expect-error `split` is 'prefixes' or 'ranges'
rx.walkObjects('b', { split: 'hash' });
void [sizes$, ranges, token];

// Every operation takes per-call `timeouts` (CallOptions), including those that had no options.
rx.listBuckets({ timeouts: { deadlineMs: 1_000 } });
rx.deleteObjects('b', ['k'], { timeouts: { idleMs: 500 } });
rx.sync({ from: './a', to: { bucket: 'b' }, timeouts: { deadlineMs: 60_000 } });
// @ts-expect-error a misspelt timeout does not compile
rx.getBucketMetadata('b', { timeouts: { deadline: 1 } });

// Proxy and CAs: a URL or false; PEM text or bytes, or several.
import type { CaBundle } from '../../lib';
new RxS3({ proxy: 'http://user:pass@proxy.corp:3128', ca: Buffer.from('PEM') });
new RxS3({ proxy: false, ca: ['PEM one', Buffer.from('PEM two')] });
const bundle: CaBundle = 'PEM';
void bundle;
// @ts-expect-error `proxy: true` is not a setting: a URL, or false for none
new RxS3({ proxy: true });
// @ts-expect-error a CA is PEM text or bytes, not a path object
new RxS3({ ca: { path: './ca.pem' } });
