/**
 * How the CLI's events are shown: readable lines (results on stdout, progress bars and errors on stderr), or with
 * `--json` one JSON object per line on stdout for every event, error and cancellation.
 */
import type { S3Error } from '../index';
import type { CliEvent } from './events';
import { bulkView } from './bulk-output';
import { formatBytes, formatDate, formatDuration } from './format';
import { ProgressBar, type Terminal } from './progress-bar';

export interface ReporterOptions {
  readonly json: boolean;
  /** No result lines: stdout carries an object's bytes (progress bars and errors still go to stderr). */
  readonly quietResults: boolean;
  /** `ls --human-readable`. */
  readonly humanReadable: boolean;
}

/** What Ctrl-C reports: the multipart uploads that were open, and which of them were aborted. */
export interface Cancellation {
  readonly signal: string;
  readonly uploadIds: readonly string[];
  readonly abortedUploadIds: readonly string[];
}

export class Reporter {
  private bar: { readonly id: string; readonly bar: ProgressBar } | undefined;

  constructor(
    private readonly stdout: Terminal,
    private readonly stderr: Terminal,
    private readonly options: ReporterOptions,
  ) {}

  event(event: CliEvent): void {
    if (event.kind === 'bulk') {
      this.bulk(event.event);
      return;
    }
    if (this.options.json) {
      this.json(event);
      return;
    }
    if (event.kind === 'progress') {
      const id = `${event.action} ${event.source} ${event.target}`;
      if (this.bar?.id !== id) {
        this.clearBar();
        // Named after the local side: the file uploaded, or the file (else the object) downloaded.
        const label = event.action === 'upload' || event.target === '-' ? event.source : event.target;
        this.bar = { id, bar: new ProgressBar(this.stderr, label) };
      }
      this.bar.bar.update({ ...event, kind: 'progress' });
      return;
    }
    this.clearBar();
    const lines = humanLines(event, this.options.humanReadable);
    if (lines.length > 0 && !this.options.quietResults) this.stdout.write(`${lines.join('\n')}\n`);
  }

  /** A bulk job's event: one aggregate bar, a line per finished object, warnings and the summary on stderr. */
  private bulk(event: Extract<CliEvent, { kind: 'bulk' }>['event']): void {
    if (this.options.json) {
      this.json(event);
      return;
    }
    const view = bulkView(event);
    if (view.progress !== undefined) {
      if (this.bar?.id !== 'bulk') {
        this.clearBar();
        this.bar = { id: 'bulk', bar: new ProgressBar(this.stderr, '') };
      }
      this.bar.bar.update(view.progress.tick, view.progress.label);
      return;
    }
    if (view.stdout.length === 0 && view.stderr.length === 0) return;
    const bar = this.bar;
    this.bar?.bar.clear();
    if (view.stdout.length > 0 && !this.options.quietResults) this.stdout.write(`${view.stdout.join('\n')}\n`);
    if (view.stderr.length > 0) this.stderr.write(`${view.stderr.join('\n')}\n`);
    bar?.bar.redraw();
  }

  error(error: S3Error): void {
    this.clearBar();
    if (this.options.json) {
      const { cause: _cause, ...plain } = error;
      this.json({ kind: 'error', error: plain });
    }
    this.stderr.write(`rx-s3: ${error.kind}: ${error.message}\n`);
  }

  /** A usage error: one line and a hint, on stderr (and as a JSON error with `--json`). */
  usage(message: string, command: string | undefined): void {
    if (this.options.json) this.json({ kind: 'error', error: { kind: 'Usage', message } });
    this.stderr.write(`rx-s3: ${message}\nTry 'rx-s3 ${command === undefined ? '' : `${command} `}--help'.\n`);
  }

  cancelled(cancellation: Cancellation): void {
    this.clearBar();
    const { signal, uploadIds, abortedUploadIds } = cancellation;
    if (this.options.json) {
      this.json({ kind: 'cancelled', signal, uploadId: uploadIds[0], uploadIds, abortedUploadIds });
    }
    const aborted = abortedUploadIds.length > 0 ? ` (multipart upload ${abortedUploadIds.join(', ')} aborted)` : '';
    this.stderr.write(`rx-s3: cancelled${aborted}\n`);
  }

  /** Erases a progress bar left on the terminal. */
  clearBar(): void {
    this.bar?.bar.clear();
    this.bar = undefined;
  }

  private json(value: object): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }
}

/** The readable lines of one event (progress excepted: that is the bar). */
export function humanLines(event: CliEvent, humanReadable = false): string[] {
  switch (event.kind) {
    case 'bucket':
      return [`${formatDate(event.creationDate)} ${event.name}`];
    case 'page': {
      // Names relative to the prefix's last "directory", as aws s3 ls shows them; full keys when recursive.
      const base = event.delimiter === undefined ? '' : event.prefix.slice(0, event.prefix.lastIndexOf('/') + 1);
      const size = (n: number): string => (humanReadable ? formatBytes(n) : String(n)).padStart(10);
      return [
        ...event.prefixes.map((p) => `${'PRE'.padStart(30)} ${p.slice(base.length)}`),
        ...event.objects.map((o) => `${formatDate(o.lastModified)} ${size(o.size)} ${o.key.slice(base.length)}`),
      ];
    }
    case 'resume':
      return [`#resume ${event.token}`];
    case 'sample':
      return event.points.map((point) => JSON.stringify(point));
    case 'progress':
    case 'stage':
    case 'bulk':
      return [];
    case 'complete':
      return [`${event.action}: ${event.source === undefined ? '' : `${event.source} to `}${event.target}${transferSummary(event)}`];
    case 'dryrun':
      return [`(dryrun) ${event.action}: ${event.source === undefined ? '' : `${event.source} to `}${event.target}${event.size === undefined ? '' : ` (${formatBytes(event.size)})`}`];
    case 'presigned':
      // A POST policy: the URL, then the form fields (name=value) to send before the file.
      return [event.url, ...Object.entries(event.fields ?? {}).map(([name, value]) => `${name}=${value}`)];
    case 'object': {
      const rows: Array<[string, string]> = [
        ['Size', `${event.size} (${formatBytes(event.size)})`],
        ['ETag', event.etag ?? '(none)'],
        ['Content-Type', event.contentType ?? '(none)'],
        ['Last-Modified', event.lastModified?.toISOString() ?? '(unknown)'],
        ...(event.versionId === undefined ? [] : [['Version-Id', event.versionId] as [string, string]]),
        ...Object.entries(event.metadata).map(([k, v]): [string, string] => [`x-amz-meta-${k}`, v]),
      ];
      const width = Math.max(...rows.map(([k]) => k.length));
      return [`s3://${event.bucket}/${event.key}`, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width + 1)}  ${v}`)];
    }
    case 'bucket-metadata':
      return [`s3://${event.bucket}`, `  Region:  ${event.region ?? '(not reported)'}`];
  }
}

/** ` (30.0 MiB in 1.2 s, 25.0 MiB/s)` for a transfer that reported its size and time. */
function transferSummary(event: Extract<CliEvent, { kind: 'complete' }>): string {
  if (event.size === undefined || event.elapsedMs === undefined) return '';
  const rate = event.elapsedMs > 0 ? `, ${formatBytes((event.size * 1000) / event.elapsedMs)}/s` : '';
  return ` (${formatBytes(event.size)} in ${formatDuration(event.elapsedMs)}${rate})`;
}
