// The node's data directory (--data-dir) as a whole: its lock, taken by the
// IO thread before any worker starts, so a second process pointed at the same
// directory is refused at once with the owner's pid; and the shard count it
// was written with, which fixes the node's shard count from then on (keys
// hash to shards by that count: another count would look for them in the
// wrong place). Each shard's group lives in `shard-<n>/` with its own files
// and lock (file-raft-storage.ts).
//
// A cluster node's directory holds only the groups placed on it (so gaps are
// normal), and the group count comes from --groups: a directory holding a
// group at or beyond it was written with another count and is refused.
// Likewise the collection thresholds it was written with
// (data-dir-thresholds.ts): another set of them is refused.

import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { StorageError } from '../../core/storage/storage-errors.js';
import { DEFAULT_COLLECTION_THRESHOLDS, type CollectionThresholds } from '../../core/types/collection-thresholds.js';
import { dataDirThresholdsRefusal } from './data-dir-thresholds.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';

/** A group's directory name: `shard-<n>`. */
const GROUP_DIR = /^shard-(\d+)$/;

/** The directory cannot be created or read (a file in the way, no permission): the message names it and the OS error. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

export interface DataDir {
  /** Absolute path. */
  readonly path: string;
  /** Shards the directory already holds (0..n-1), or null for a new directory. */
  readonly shards: number | null;
  release(): void;
}

/**
 * Creates the directory if needed and takes its lock; throws StorageError if
 * it is locked or its shard directories have gaps (a lone node), or name a
 * group at or beyond `clusterGroups` (a cluster node); throws DataDirError
 * when it was written with other collection `thresholds` (records them in a
 * directory that has none).
 */
export function openDataDir(dir: string, clusterGroups: number | null = null, thresholds: CollectionThresholds = DEFAULT_COLLECTION_THRESHOLDS): DataDir {
  const path = resolve(dir);
  let names: string[];
  try {
    mkdirSync(path, { recursive: true });
    names = readdirSync(path);
  } catch (error) {
    throw new DataDirError(`cannot use ${path} as the data directory: ${(error as Error).message}`);
  }
  const lock: DirLock = acquireDirLock(path);
  try {
    const groups = names.map((name) => GROUP_DIR.exec(name)).filter((m) => m !== null).map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const refusal = dataDirThresholdsRefusal(path, thresholds, groups.length > 0);
    if (refusal !== null) throw new DataDirError(refusal);
    if (clusterGroups !== null) {
      const beyond = groups.find((g) => g >= clusterGroups);
      if (beyond !== undefined) {
        throw new StorageError('format', path, 0,
          `holds shard-${beyond}, but the cluster has ${clusterGroups} groups (--groups): it was written with another group count`);
      }
      return { path, shards: null, release: () => lock.release() };
    }
    if (groups.some((g, i) => g !== i)) {
      throw new StorageError('format', path, 0,
        `the shard directories (${groups.map((g) => `shard-${g}`).join(', ')}) are not shard-0 .. shard-${groups.length - 1}: some were removed or added by hand`);
    }
    return { path, shards: groups.length > 0 ? groups.length : null, release: () => lock.release() };
  } catch (error) {
    lock.release();
    throw error;
  }
}
