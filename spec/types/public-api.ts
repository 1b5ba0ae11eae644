/**
 * Type tests for the public surface: this file is only type-checked (`npm run typecheck`), never run.
 * Each `@ts-expect-error` is a promise that a misuse does not compile.
 */
import type { Observable } from 'rxjs';
import {
  RxS3,
  type DownloadEvent,
  type MoveEvent,
  type ObjectPage,
  type Result,
  type S3Error,
  type S3ErrorKind,
  type UploadEvent,
} from '../../lib';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

declare const rx: RxS3;

// Every operation is an Observable of Results whose error side is S3Error.
assertType<Equals<ReturnType<RxS3['listObjects']>, Observable<Result<ObjectPage, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['moveObject']>, Observable<Result<MoveEvent, S3Error>>>>();
assertType<Equals<ReturnType<RxS3['uploadFile']>, Observable<Result<UploadEvent, S3Error>>>>();
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

// Transfer events narrow on `kind`; `totalBytes` may be undefined, `output` exists only on `complete`.
rx.uploadFile('b', 'k', '/tmp/f').subscribe((result) => {
  if (!result.ok) return;
  const event = result.val;
  if (event.kind === 'progress') {
    // @ts-expect-error totalBytes is number | undefined
    const total: number = event.totalBytes;
    void total;
    // @ts-expect-error progress ticks carry no output
    void event.output;
  } else {
    const parts: number = event.output.parts;
    void parts;
  }
});

// Move events narrow on `stage`.
rx.moveObject('a', 'k', 'b', 'k').subscribe((result) => {
  if (result.ok && result.val.stage === 'copied') void result.val.verified.size;
  if (result.ok && result.val.stage === 'deleted') void result.val.delete.key;
});

// Options are objects with checked fields.
// @ts-expect-error presign methods are GET, PUT, DELETE and HEAD
rx.generatePresignedUrl('POST', 'b', 'k');
// @ts-expect-error ttl is a number of seconds
rx.generatePresignedUrl('GET', 'b', 'k', { ttl: '1h' });
// @ts-expect-error listObjects takes an options object, not positional arguments
rx.listObjects('b', 'prefix/');

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
