// The collection thresholds a data directory was written with, recorded in
// `collection-thresholds.json` beside its shard directories, and the check
// that a node restarted on it uses the same ones.
//
// Why: a restart restores each shard from its snapshot and replays its log.
// The log holds commands, not their results, so replaying them under other
// thresholds could encode collections differently than when they were first
// applied, and differently from the cluster's other replicas, which did not
// restart (SPOP, HRANDFIELD and HSCAN answers depend on the encoding). So a
// directory keeps its thresholds for life; changing them means starting
// from an empty directory.
//
// A directory written before the record existed was written with the
// defaults (the thresholds were constants then), so it is read as such.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  collectionThresholdsProblem, DEFAULT_COLLECTION_THRESHOLDS, THRESHOLD_SETTINGS, thresholdDifferences, thresholdPairs,
  type CollectionThresholds,
} from '../../core/types/collection-thresholds.js';
import { readJsonFile, writeJsonFile } from '../cluster/json-file.js';

/** The record's file name in the data directory. */
export const THRESHOLDS_FILE = 'collection-thresholds.json';

/** The thresholds the record at `dir` holds, or what is wrong with it. */
function readRecord(dir: string): CollectionThresholds | string {
  let parsed: unknown;
  try {
    parsed = readJsonFile(dir, THRESHOLDS_FILE);
  } catch (error) {
    return `is not JSON (${(error as Error).message})`;
  }
  if (typeof parsed !== 'object' || parsed === null) return 'is not an object of settings';
  const record = parsed as Record<string, unknown>;
  const t = { ...DEFAULT_COLLECTION_THRESHOLDS };
  for (const s of THRESHOLD_SETTINGS) {
    const value = record[s.name];
    if (typeof value !== 'number') return `has no number for ${s.name}`;
    t[s.key] = value;
  }
  const problem = collectionThresholdsProblem(t);
  return problem === null ? t : `holds a value this build refuses: ${problem}`;
}

/**
 * Why the directory at `dir` must not be used with `thresholds` (it was
 * written with others, or its record is damaged), or null after recording
 * them when it has no record yet. `written`: whether it already holds data.
 */
export function dataDirThresholdsRefusal(dir: string, thresholds: CollectionThresholds, written: boolean): string | null {
  const path = join(dir, THRESHOLDS_FILE);
  const recorded = existsSync(path) ? readRecord(dir) : written ? DEFAULT_COLLECTION_THRESHOLDS : null;
  if (typeof recorded === 'string') {
    return `${path} ${recorded}: it records the collection thresholds the data directory was written with; put back the file, or start from an empty --data-dir`;
  }
  if (recorded !== null) {
    const differences = thresholdDifferences(recorded, thresholds, 'the data directory', 'this start');
    if (differences.length > 0) {
      const flags = THRESHOLD_SETTINGS.filter((s) => recorded[s.key] !== thresholds[s.key]).map((s) => `--${s.name} ${recorded[s.key]}`);
      return `${dir} was written with other collection thresholds: ${differences.join(', ')}. `
        + 'Replaying its log with other thresholds could encode collections differently from before and from the other replicas. '
        + `Start with ${flags.join(' ')}, or, to change them, start from an empty --data-dir (a cluster node then catches up from its peers, every node with the new values)`;
    }
    if (existsSync(path)) return null;
  }
  writeJsonFile(dir, THRESHOLDS_FILE, Object.fromEntries(thresholdPairs(thresholds)));
  return null;
}
