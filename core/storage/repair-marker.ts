// The REPAIR file of a clustered replica's directory: written (and made
// durable) before a damaged directory is cleared, removed only once the
// replica has caught up from its peers. While it exists the replica is
// "recovering" (core/raft/repair-gate.ts): it grants and seeks no votes.
// Without it, a crash between clearing the damage and finishing the repair
// would restart the replica from a clean-looking but short log that votes as
// if it had never acknowledged what it lost.
//
// It holds what the replica must not forget about the lost state: the term
// and vote it had persisted (so it never votes twice in a term) and the
// commit index it had reached (the repair must get back at least that far),
// and where the damage was, for the operator. A REPAIR file that is itself
// damaged still means "recovering", with nothing known (term and commit 0):
// the gate then waits for a leader's commit index alone.

import type { HardState } from '../raft/raft-types.js';
import { crc32c } from './crc32c.js';
import type { FileSystem } from './file-system.js';
import { TEMP_SUFFIX } from './snapshot-file.js';

export const REPAIR_FILE = 'REPAIR';

/** What a replica repairing from its peers knows about the state it lost. */
export interface RepairState {
  /** The hard state it had persisted before the damage (zeros when it could not be read). */
  readonly hardState: HardState;
  /** Where the damage was found, and what it was. */
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The marker's bytes: a JSON line, then its crc32c in hex (a flipped bit is noticed, never misread). */
export function encodeRepairMarker(state: RepairState): Uint8Array {
  const json = JSON.stringify({ term: state.hardState.term, vote: state.hardState.vote, commit: state.hardState.commit, file: state.file, offset: state.offset, reason: state.reason });
  const body = encoder.encode(json);
  return encoder.encode(`${json}\n${crc32c(body).toString(16)}\n`);
}

/** The marker's state; a damaged marker still means "recovering", with nothing known. */
export function decodeRepairMarker(bytes: Uint8Array): RepairState {
  const text = decoder.decode(bytes);
  const [json, crc] = text.split('\n');
  if (json !== undefined && crc !== undefined && crc32c(encoder.encode(json)).toString(16) === crc) {
    try {
      const v = JSON.parse(json) as Record<string, unknown>;
      const n = (x: unknown): number => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : 0);
      return {
        hardState: { term: n(v.term), vote: n(v.vote), commit: n(v.commit) },
        file: typeof v.file === 'string' ? v.file : REPAIR_FILE, offset: n(v.offset), reason: typeof v.reason === 'string' ? v.reason : '',
      };
    } catch {
      // falls through: a checksum collision over bad JSON is treated as damage too
    }
  }
  return { hardState: { term: 0, vote: 0, commit: 0 }, file: REPAIR_FILE, offset: 0, reason: 'the repair marker itself is damaged' };
}

/** The directory's marker, or null when the replica is not repairing. */
export function readRepairMarker(fs: FileSystem): RepairState | null {
  if (!fs.list().includes(REPAIR_FILE)) return null;
  const file = fs.open(REPAIR_FILE, 'existing');
  try {
    return decodeRepairMarker(file.read(0, file.size()));
  } catch {
    // An unreadable marker: still recovering.
    return decodeRepairMarker(new Uint8Array(0));
  } finally {
    file.close();
  }
}

/** Writes the marker durably (temp file, fsync, rename, directory fsync) before anything is cleared. */
export function writeRepairMarker(fs: FileSystem, state: RepairState): void {
  const temp = REPAIR_FILE + TEMP_SUFFIX;
  if (fs.list().includes(temp)) fs.unlink(temp);
  const file = fs.open(temp, 'create');
  file.append(encodeRepairMarker(state));
  file.sync();
  file.close();
  fs.rename(temp, REPAIR_FILE);
  fs.syncDir();
}

/** The repair is over: the marker goes, durably. */
export function removeRepairMarker(fs: FileSystem): void {
  if (!fs.list().includes(REPAIR_FILE)) return;
  fs.unlink(REPAIR_FILE);
  fs.syncDir();
}

/** Two findings of damage (an earlier repair not yet finished, and a new one): keep the higher of each number. */
export function mergeRepairStates(older: RepairState | null, newer: RepairState): RepairState {
  if (older === null) return newer;
  const a = older.hardState;
  const b = newer.hardState;
  // The vote belongs to the higher term; in the same term the newer finding read it later.
  const hardState = { term: Math.max(a.term, b.term), vote: a.term > b.term ? a.vote : b.vote, commit: Math.max(a.commit, b.commit) };
  return { ...newer, hardState };
}
