/** The bulk engine's only calls to `copyObject` and `moveObject`, in one place. */
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../../errors';
import type { CopyEvent, MoveEvent } from '../../events';
import { copyObject } from '../../operations/copy-object';
import { moveObject } from '../../operations/move-object';
import type { ClientContext } from '../context';
import type { ObjectRef } from '../copy-source';

export type { ObjectRef };

export function copyOne(ctx: ClientContext, from: ObjectRef, to: ObjectRef): Observable<Result<CopyEvent, S3Error>> {
  return copyObject(ctx, from, to);
}

export function moveOne(ctx: ClientContext, from: ObjectRef, to: ObjectRef): Observable<Result<MoveEvent, S3Error>> {
  return moveObject(ctx, from, to);
}
