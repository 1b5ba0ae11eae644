/**
 * The bulk engine's only calls to `copyObject` and `moveObject`, in one place: when their signatures change
 * (`{ bucket, key }` objects instead of four strings), only these two lines change.
 */
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../../errors';
import type { MoveEvent, ObjectCopied } from '../../events';
import { copyObject } from '../../operations/copy-object';
import { moveObject } from '../../operations/move-object';
import type { ClientContext } from '../context';

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

export function copyOne(ctx: ClientContext, from: ObjectRef, to: ObjectRef): Observable<Result<ObjectCopied, S3Error>> {
  return copyObject(ctx, from.bucket, from.key, to.bucket, to.key);
}

export function moveOne(ctx: ClientContext, from: ObjectRef, to: ObjectRef): Observable<Result<MoveEvent, S3Error>> {
  return moveObject(ctx, from.bucket, from.key, to.bucket, to.key);
}
