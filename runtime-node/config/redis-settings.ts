// The settings Redis tools ask CONFIG about, with Piccolo's answers, and the
// node's limits under their command-line flag names. Only what the node can
// really change while running is settable: maxclients (the shared connection
// budget), requirepass and maxmemory (through the setters the node is given);
// save and maxmemory-policy accept only the values Piccolo already behaves
// by, so a tool that sets them to what they are does not fail.

import type { Limits } from '../../core/limits.js';
import type { ConnectionBudget } from '../io/connection-budget.js';
import { MAXMEMORY_BYTES_MAX } from './server-settings.js';
import { envName, LIMIT_SETTING_NAMES } from './server-settings.js';
import { THRESHOLD_SETTINGS, type CollectionThresholds } from '../../core/types/collection-thresholds.js';
import type { SettingsRegistry } from './settings-registry.js';

/** Where the node's password lives (server.ts puts the PasswordGate behind it). */
export interface PasswordSetting {
  get(): string | null;
  set(password: string | null): void;
}

/** The node's --maxmemory in bytes (0: no limit); setting it takes effect on every shard at its next batch. */
export interface MemorySetting {
  get(): number;
  set(bytes: number): void;
}

/** Redis's memory units (`CONFIG SET maxmemory 100mb`): k, m, g are powers of 1000, kb, mb, gb of 1024. */
const MEMORY_UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1, b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3,
};

/** Bytes of a Redis memory setting (`1048576`, `100mb`, `1G`), or null when it is not one or passes MAXMEMORY_BYTES_MAX. */
export function parseMemoryBytes(text: string): number | null {
  const match = /^(\d{1,16})([a-z]{0,2})$/.exec(text.toLowerCase());
  if (match === null) return null;
  const unit = MEMORY_UNIT_BYTES[match[2]!];
  if (unit === undefined) return null;
  const bytes = Number(match[1]) * unit;
  return bytes <= MAXMEMORY_BYTES_MAX ? bytes : null;
}

/** Redis's bound on maxclients (an unsigned 32-bit setting). */
const MAXCLIENTS_MAX = 4_294_967_295;

export interface RedisSettingsSources {
  budget: ConnectionBudget;
  password: PasswordSetting;
  maxmemory: MemorySetting;
  limits: Limits;
  host: string;
  /** The RESP port once listening (0 before, or when RESP is off). */
  respPort: () => number;
}

function onlyValue(name: string, value: string): { name: string; get(): string; set(v: string): string | null } {
  return { name, get: () => value, set: (v) => (v.toLowerCase() === value ? null : `Piccolo supports only '${value}'`) };
}

/**
 * The collection thresholds under Redis's names: readable, but set only at
 * start (CONFIG SET explains): every replica must pick the same encodings,
 * and a change on one node (or mid-log on a data directory) would not be.
 */
function registerThresholdSettings(registry: SettingsRegistry, thresholds: CollectionThresholds): void {
  for (const s of THRESHOLD_SETTINGS) {
    registry.register({
      name: s.name,
      get: () => String(thresholds[s.key]),
      // Setting the value it has changes nothing, so cannot make replicas differ (tools that write back a whole config).
      set: (value) => value.trim() === String(thresholds[s.key]) ? null : `${s.name} is set at start (--${s.name} N, ${envName(s.name)} or the config file) and must be the same on every node `
        + 'of a cluster and for the life of a data directory: replicas must choose the same encodings',
    });
  }
}

export function registerRedisSettings(registry: SettingsRegistry, sources: RedisSettingsSources): void {
  const { budget, password, limits } = sources;
  const maxclients = {
    name: 'maxclients',
    get: () => String(budget.connectionsMax),
    set: (value: string): string | null => {
      if (!/^\d{1,10}$/.test(value)) return "argument couldn't be parsed into an integer";
      const n = Number(value);
      if (n < 1 || n > MAXCLIENTS_MAX) return `argument must be between 1 and ${MAXCLIENTS_MAX} inclusive`;
      budget.setConnectionsMax(n);
      return null;
    },
  };
  registry.register(maxclients);
  registry.register({
    name: 'requirepass',
    // Shown as Redis shows it: only a client that passed AUTH can run CONFIG GET.
    get: () => password.get() ?? '',
    set: (value) => {
      password.set(value === '' ? null : value);
      return null;
    },
  });
  registry.register({ name: 'port', get: () => String(sources.respPort()) });
  registry.register({ name: 'bind', get: () => sources.host });
  registry.register({
    name: 'maxmemory',
    get: () => String(sources.maxmemory.get()),
    set: (value) => {
      const bytes = parseMemoryBytes(value);
      if (bytes === null) return "argument must be a memory value";
      sources.maxmemory.set(bytes);
      return null;
    },
  });
  registry.register(onlyValue('maxmemory-policy', 'noeviction'));
  registry.register({ name: 'appendonly', get: () => 'no' });
  registry.register(onlyValue('save', ''));
  registry.register({ name: 'databases', get: () => '1' });
  registry.register({ name: 'timeout', get: () => '0' });
  registry.register({ name: 'proto-max-bulk-len', get: () => String(limits.valueBytesMax) });
  // Under the flag names the settings table gives them (`--key-bytes-max`), so CONFIG GET and --help agree.
  for (const [name, key] of LIMIT_SETTING_NAMES) registry.register({ name, get: () => String(limits[key]) });
  registerThresholdSettings(registry, limits.collections);
  // The limit's flag name for the same budget: one value, settable under either name.
  registry.register({ ...maxclients, name: 'connections-max' });
}
