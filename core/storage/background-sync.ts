// A sync the runtime carries out off the storage's thread: group commit that
// overlaps the next batch's work. In 'always' mode the storage engine
// (log-storage.ts, requestSync) writes a sync point and hands the one fsync
// left to do here; the worker goes on taking and writing requests into its
// buffer (nothing reaches the file meanwhile) and learns at a later turn
// that the sync finished. The simulator does the fsync after a simulated
// fsync time on the node's disk (runtime-sim/sim-background-sync.ts,
// `--background-sync`). A node waits for its fsyncs: a sync thread measured
// slower on two cores (docs/durability.md, *Background sync*).

import type { StorageFile } from './file-system.js';

export interface BackgroundSyncer {
  /** Makes what `file` holds durable, in the background. At most one is under way per syncer. */
  start(file: StorageFile): void;
  /** Whether the sync started last has finished (it was durable when this first said so). */
  finished(): boolean;
  /** Blocks until the sync started last has finished (the storage must write or close something now). */
  wait(): void;
}
