// Which node each group's leadership belongs on, as operators moved it with
// `piccolo cluster transfer-leader` (cluster-admin.ts): placement names a
// preferred leader per group (cluster-topology.ts), and an override here
// replaces it. Without the override, the preferred-leader mechanism
// (preferred-leader.ts) would hand leadership back to placement's node
// within seconds and undo the transfer.
//
// A preference is a hint for where leadership sits, never a safety matter:
// whoever leads, Raft decides commits. So it need not be agreed by
// consensus; each node keeps the overrides it was told in its data
// directory (`cluster-preferences.json`, written whole through a temporary
// file and a rename, so a crash leaves the old or the new file), and
// loads them at start. A node that missed a change (it was down) keeps its
// old preference: should it lead that group, it would move leadership to
// its preferred node, and a later transfer-leader tells it again.

import { readJsonFile, writeJsonFile } from './json-file.js';

export const PREFERENCES_FILE = 'cluster-preferences.json';

export class LeaderPreferences {
  private readonly overrides = new Map<number, number>();

  /** `dir`: the data directory, or null to keep overrides in memory only (--in-memory). */
  constructor(private readonly dir: string | null, private readonly placementFirst: (group: number) => number, groups: number) {
    const stored = (readJsonFile(dir, PREFERENCES_FILE) ?? {}) as { groups?: Record<string, number> };
    for (const [group, node] of Object.entries(stored.groups ?? {})) {
      const g = Number(group);
      // A file from another group count (refused elsewhere) or edited by hand: ignore what does not fit.
      if (Number.isInteger(g) && g >= 0 && g < groups && Number.isInteger(node) && node > 0) this.overrides.set(g, node);
    }
  }

  preferredLeader(group: number): number {
    return this.overrides.get(group) ?? this.placementFirst(group);
  }

  /** Every group's preferred leader, by group. */
  all(groups: number): number[] {
    return Array.from({ length: groups }, (_, g) => this.preferredLeader(g));
  }

  /** Prefer `node` for `group` from now on; stored before it returns (with a data directory). */
  set(group: number, node: number): void {
    if (node === this.placementFirst(group)) this.overrides.delete(group);
    else this.overrides.set(group, node);
    const groups = Object.fromEntries([...this.overrides].sort((a, b) => a[0] - b[0]).map(([g, n]) => [String(g), n]));
    writeJsonFile(this.dir, PREFERENCES_FILE, { groups });
  }
}
