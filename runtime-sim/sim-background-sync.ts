// The simulator's side of background sync (core/storage/background-sync.ts):
// a group's fsync finishes on its simulated disk some virtual time after the
// storage started it, while the worker goes on. The fsync itself happens at
// that moment, so a crash before it loses the write as a real one would; a
// process that crashed meanwhile never finishes it. When the worker must
// write now (wait()), the fsync happens at once.

import type { BackgroundSyncer } from '../core/storage/background-sync.js';
import type { StorageFile } from '../core/storage/file-system.js';
import type { Random } from '../core/random.js';
import { Kind } from './event-kinds.js';
import { ENVIRONMENT_THREAD, type Simulation } from './simulation.js';

/** A background fsync takes this long on a simulated disk, at least and at most (drawn per sync). */
export const SIM_FSYNC_US_MIN = 20;
export const SIM_FSYNC_US_MAX = 600;

export class SimBackgroundSyncer implements BackgroundSyncer {
  private file: StorageFile | null = null;
  /** Bumped per start: a finish event of an earlier sync (settled by wait()) does nothing. */
  private token = 0;
  /** The worker that hosts the group, told when a sync finishes (set once the node runs). */
  onFinished: () => void = () => {};

  constructor(
    private readonly sim: Simulation,
    private readonly rng: Random,
    /** Whether the process that started the sync still runs (a crashed one's syncs never finish). */
    private readonly alive: () => boolean,
  ) {}

  start(file: StorageFile): void {
    this.file = file;
    const token = ++this.token;
    this.sim.after(this.rng.int(SIM_FSYNC_US_MIN, SIM_FSYNC_US_MAX), ENVIRONMENT_THREAD, Kind.BACKGROUND_SYNC_DONE, 0, () => {
      if (token !== this.token || this.file === null || !this.alive()) return;
      this.finish();
      this.onFinished();
    });
  }

  finished(): boolean {
    return this.file === null;
  }

  wait(): void {
    if (this.file !== null) this.finish();
  }

  private finish(): void {
    this.file!.sync();
    this.file = null;
  }
}
