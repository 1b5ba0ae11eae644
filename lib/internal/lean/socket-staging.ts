/**
 * Staging memory for the socket reader: a bounded, process-wide pool of large blocks that sockets read into
 * (`net` `onread` with a user buffer) and that file writes are made from, so a download allocates no buffer per
 * read. A block goes back to the pool when its reader retired it and every write made from it landed.
 */

/** Bytes per staging block. Reads go into a block from its first free byte, at most {@link MAX_READ} at a time. */
export const BLOCK_BYTES = 2 * 1024 * 1024;
/** The most one read may fill (the kernel hands over what it has, up to this). */
export const MAX_READ = 1024 * 1024;
/** A block with less room than this left is retired: a smaller read costs more per byte than it saves. */
export const MIN_READ = 128 * 1024;
/** Staging memory of the whole process, at most (blocks are made on demand and kept): 24 blocks, 48 MiB. */
let maxBlocks = 24;

/** One staging block: `pending` writes are made from it; `held` while its reader may still read into it. */
export interface StagingBlock {
  readonly buffer: Buffer;
  pending: number;
  held: boolean;
}

/** Someone waiting for a block: woken (once) when one is free. */
export interface StagingWaiter {
  wake(): void;
}

/** Staging left entirely free this long is released. */
const IDLE_TRIM_MS = 10_000;

const free: StagingBlock[] = [];
let trimTimer: NodeJS.Timeout | undefined;

function trimIdle(): void {
  trimTimer = undefined;
  if (free.length === made) releaseFreeStaging();
}

/** Drops every free block now (they are made again on demand). Done by itself after 10 s with all of them free. */
export function releaseFreeStaging(): void {
  made -= free.length;
  free.length = 0;
}
const waiters = new Set<StagingWaiter>();
let made = 0;

/** A free block (held by the caller), or undefined when all the process's staging memory is in use. */
export function takeBlock(): StagingBlock | undefined {
  let block = free.pop();
  if (block === undefined && made < maxBlocks) {
    made += 1;
    block = { buffer: Buffer.allocUnsafeSlow(BLOCK_BYTES), pending: 0, held: false };
  }
  if (block !== undefined) block.held = true;
  return block;
}

/** Returns the block to the pool if nobody reads into it and no write from it is in flight. */
export function maybeFree(block: StagingBlock): void {
  if (block.held || block.pending > 0) return;
  if (made > maxBlocks) made -= 1; // the limit was lowered: dropped
  else free.push(block);
  if (free.length === made && trimTimer === undefined) {
    // All of it idle: given back to the system if it stays idle (a long-lived process keeps no 48 MiB for nothing).
    trimTimer = setTimeout(trimIdle, IDLE_TRIM_MS);
    trimTimer.unref();
  }
  for (const waiter of waiters) {
    waiters.delete(waiter);
    waiter.wake();
    break;
  }
}

/** Asks to be woken when a block is free (a reader that paused for lack of staging). */
export function waitForBlock(waiter: StagingWaiter): void {
  waiters.add(waiter);
}

/** Stops waiting (the reader finished or failed). */
export function stopWaiting(waiter: StagingWaiter): void {
  waiters.delete(waiter);
}

/**
 * Sets how many staging blocks the process may have (default 24, of {@link BLOCK_BYTES}); returns the previous
 * limit. Lowering it drops free blocks now and busy ones as they are freed. At least 1.
 */
export function setStagingLimit(blocks: number): number {
  const previous = maxBlocks;
  maxBlocks = Math.max(1, Math.floor(blocks));
  while (made > maxBlocks && free.length > 0) {
    free.pop();
    made -= 1;
  }
  return previous;
}

/** Blocks made and blocks free, for tests and benchmarks. */
export function stagingStats(): { readonly made: number; readonly free: number; readonly waiting: number } {
  return { made, free: free.length, waiting: waiters.size };
}

/**
 * The read buffer of a socket that has no staging block armed (idle in its pool, or paused for lack of staging):
 * what lands in it is copied out at once, in the read callback, so one buffer serves every socket.
 */
export const PARKING = Buffer.allocUnsafeSlow(64 * 1024);
