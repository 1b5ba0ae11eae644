/** How a bulk job's events read on a terminal, as `aws s3` prints them: a line per finished object, one bar. */
import type { BulkEvent, TransferProgress } from '../index';
import { formatBytes, formatDuration } from './format';

export interface BulkView {
  /** For the aggregate bar: the tick and its label (`12/100 files`). */
  readonly progress?: { readonly tick: TransferProgress; readonly label: string };
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

/** Reasons a user is told about on stderr (an up-to-date or excluded object is not news). */
const WARN: ReadonlySet<string> = new Set(['symlink', 'special', 'unsafe-key', 'collision', 'directory-marker', 'bad-name']);

export function bulkView(event: BulkEvent): BulkView {
  switch (event.kind) {
    case 'progress': {
      const total = event.totalsFinal ? event.bytesTotal : undefined;
      const tick: TransferProgress = {
        kind: 'progress',
        transferredBytes: event.bytesDone,
        totalBytes: total,
        percent: total === undefined ? undefined : total === 0 ? 100 : Math.min(100, (event.bytesDone / total) * 100),
        bytesPerSecond: event.bytesPerSecond,
        elapsedMs: event.elapsedMs,
      };
      return { progress: { tick, label: `${event.objectsDone}/${event.objectsTotal}${event.totalsFinal ? '' : '+'} files` }, stdout: [], stderr: [] };
    }
    case 'done':
      return { stdout: [event.action === 'delete' ? `delete: ${event.target}` : `${event.action}: ${event.source} to ${event.target}`], stderr: [] };
    case 'planned':
      return { stdout: [event.action === 'delete' ? `(dryrun) delete: ${event.target}` : `(dryrun) ${event.action}: ${event.source} to ${event.target}`], stderr: [] };
    case 'skipped':
      return { stdout: [], stderr: WARN.has(event.reason) ? [`warning: skipped ${event.source ?? event.key}: ${event.detail ?? event.reason}`] : [] };
    case 'summary': {
      if (event.ok && !event.deleteSkipped) return { stdout: [], stderr: [] };
      const lines = [
        `rx-s3: ${event.failed} failed, ${event.transferred} transferred (${formatBytes(event.bytes)}), ${event.deleted} deleted, ${event.skipped} skipped in ${formatDuration(event.elapsedMs)}`,
      ];
      if (event.failedKeys.length > 0) lines.push(`rx-s3: failed: ${event.failedKeys.slice(0, 10).join(', ')}${event.failed > 10 ? ', ...' : ''}`);
      if (event.deleteSkipped) lines.push('rx-s3: --delete was not carried out because something failed (nothing was deleted)');
      return { stdout: [], stderr: lines };
    }
    case 'started':
    case 'failed':
      return { stdout: [], stderr: [] };
  }
}
