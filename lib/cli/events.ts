/**
 * What the CLI's commands emit: plain values, printed as readable lines on a terminal or as one JSON line each
 * with `--json`. Every value has a literal `kind`; errors and cancellation are added by the runner
 * (`{ "kind": "error", "error": {...} }`, `{ "kind": "cancelled", ... }`).
 */
import type { Observable } from 'rxjs';
import type { BulkEvent, ObjectSummary, Result, S3Error, TransferProgress } from '../index';

/** What a command did, in the words of `aws s3`. */
export type Action = 'upload' | 'download' | 'copy' | 'move' | 'delete' | 'make_bucket' | 'remove_bucket';

export type CliEvent =
  /** `ls` without an argument: one per bucket. */
  | { readonly kind: 'bucket'; readonly name: string; readonly creationDate: Date | undefined }
  /** `ls s3://...`: one per page of the listing, as it arrives. */
  | {
      readonly kind: 'page';
      readonly bucket: string;
      readonly prefix: string;
      readonly delimiter: string | undefined;
      readonly pageNumber: number;
      readonly isLast: boolean;
      readonly prefixes: readonly string[];
      readonly objects: readonly ObjectSummary[];
      /** `ls --resume TOKEN` continues right after this page. */
      readonly resumeToken?: string;
    }
  /** `ls --print-resume`: after each page, the token that continues after it. */
  | { readonly kind: 'resume'; readonly token: string }
  /** `ls --sample`: points spread like the keys, for `--shard-sample`. */
  | { readonly kind: 'sample'; readonly points: readonly string[]; readonly complete: boolean }
  /** A transfer's progress tick (the library's tick, with what is transferred where). */
  | (Omit<TransferProgress, 'kind'> & { readonly kind: 'progress'; readonly action: 'upload' | 'download' | 'copy' | 'move'; readonly source: string; readonly target: string })
  /** A step of a move: the data is at the target (and verified), before the source is deleted. */
  | { readonly kind: 'stage'; readonly action: 'move'; readonly stage: 'copied'; readonly source: string; readonly target: string }
  /** One action finished. */
  | {
      readonly kind: 'complete';
      readonly action: Action;
      readonly source: string | undefined;
      readonly target: string;
      readonly size?: number;
      readonly etag?: string;
      readonly parts?: number;
      readonly uploadId?: string;
      readonly elapsedMs?: number;
    }
  /** `--dry-run`: what would have been done. */
  | { readonly kind: 'dryrun'; readonly action: Action; readonly source: string | undefined; readonly target: string; readonly size?: number }
  /** `presign` (`fields`: the form fields of a POST policy). */
  | {
      readonly kind: 'presigned';
      readonly method: string;
      readonly url: string;
      readonly bucket: string;
      readonly key: string;
      readonly expiresIn: number;
      readonly expiresAt: Date;
      readonly fields?: Readonly<Record<string, string>>;
    }
  /** `stat s3://bucket/key`. */
  | {
      readonly kind: 'object';
      readonly bucket: string;
      readonly key: string;
      readonly size: number;
      readonly etag: string | undefined;
      readonly contentType: string | undefined;
      readonly lastModified: Date | undefined;
      readonly versionId: string | undefined;
      readonly metadata: Readonly<Record<string, string>>;
    }
  /** `stat s3://bucket`. */
  | { readonly kind: 'bucket-metadata'; readonly bucket: string; readonly region: string | undefined }
  /** `cp -r`, `mv -r`, `sync`, `rm -r`: a bulk job's event (printed as itself with `--json`). */
  | { readonly kind: 'bulk'; readonly event: BulkEvent };

/** What every command returns: its events, failures as `Err` values (the stream may go on after one). */
export type CliStream = Observable<Result<CliEvent, S3Error>>;
