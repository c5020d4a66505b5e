// Settings held in plain objects, for testing the CONFIG registry without a
// node (a node puts its PasswordGate and worker pool behind the same interfaces).

import type { MemorySetting, PasswordSetting } from '../../runtime-node/config/redis-settings.js';

export function passwordHolder(initial: string | null): PasswordSetting {
  let password = initial;
  return { get: () => password, set: (p) => { password = p; } };
}

export function memoryHolder(initial: number): MemorySetting {
  let bytes = initial;
  return { get: () => bytes, set: (b) => { bytes = b; } };
}
