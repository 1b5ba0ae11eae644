/**
 * Type tests for the public surface: this file is only type-checked (`npm run typecheck`), never run.
 * Each `@ts-expect-error` is a promise that a misuse does not compile.
 */
import type { Observable } from 'rxjs';
import {
  RxS3,
  cutKeyRanges,
  Ok as OkValue,
  type KeyRange,
  type KeySample,
  type WalkPage,
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
