// The --fsync setting's text (`always`, `batch=<ms>`, `never`) and the
// storage engine's SyncMode it stands for (core/storage/log-storage.ts;
// docs/durability.md says what survives what in each).

import type { SyncMode } from '../../core/storage/log-storage.js';

/**
 * The longest batch interval: beyond a few seconds of acknowledged writes at
 * risk on power loss, `never` says more honestly what is meant.
 */
export const FSYNC_BATCH_MS_MAX = 10_000;

export const FSYNC_SYNTAX = 'always|batch=<ms>|never';

/** The mode `text` names, or null if it names none (the caller says which setting was wrong). */
export function parseFsyncMode(text: string): SyncMode | null {
  const word = text.trim().toLowerCase();
  if (word === 'always') return { kind: 'always' };
  if (word === 'never') return { kind: 'never' };
  const batch = /^batch=(\d{1,6})$/.exec(word);
  if (batch === null) return null;
  const intervalMs = Number(batch[1]);
  return intervalMs >= 1 && intervalMs <= FSYNC_BATCH_MS_MAX ? { kind: 'batch', intervalMs } : null;
}

export function formatFsyncMode(mode: SyncMode): string {
  return mode.kind === 'batch' ? `batch=${mode.intervalMs}` : mode.kind;
}
