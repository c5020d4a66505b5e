// The node's named settings, as CONFIG GET / CONFIG SET see them: each has a
// Redis-style lower-case name, a value as text, and, if it can change while
// the node runs, a setter that applies a new value or says why not.
// CONFIG SET of several settings is all or nothing: names are checked first,
// then values are applied in order, and a refused value puts back the ones
// already applied (as Redis does).

import { assert } from '../../core/assert.js';

export interface Setting {
  /** Lower case, as CONFIG names it: `maxclients`, `ring-bytes`. */
  name: string;
  get(): string;
  /** Apply a new value: null when applied, else the reason it was refused (Redis error text without the prefix). Absent: immutable. */
  set?: (value: string) => string | null;
}

/** Longest setting name the registry accepts (names are ours, short; the bound keeps error texts short). */
export const SETTING_NAME_CHARS_MAX = 64;

/** Redis's error text for a refused CONFIG SET argument. */
export function configSetError(name: string, reason: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${name.slice(0, SETTING_NAME_CHARS_MAX)}') - ${reason}`;
}

export class SettingsRegistry {
  private readonly byName = new Map<string, Setting>();

  /** Add a setting; a second registration of a name replaces the first (the lead's config overrides defaults). */
  register(setting: Setting): void {
    assert(/^[a-z0-9-]+$/.test(setting.name) && setting.name.length <= SETTING_NAME_CHARS_MAX,
      () => `setting name ${setting.name} is lower-case words joined by '-'`);
    this.byName.set(setting.name, setting);
  }

  get(name: string): Setting | undefined {
    return this.byName.get(name);
  }

  /** Every setting, by name. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Name and value of each setting whose name `matches`, sorted by name. */
  matching(matches: (name: string) => boolean): [string, string][] {
    return this.names().filter(matches).map((name) => [name, this.byName.get(name)!.get()]);
  }

  /**
   * CONFIG SET name value [name value ...]: null when every value was applied,
   * else Redis's error text, with nothing changed. Names are matched case-blind.
   */
  setAll(pairs: readonly (readonly [string, string])[]): string | null {
    const seen = new Set<string>();
    const plan: [Setting, string][] = [];
    for (const [rawName, value] of pairs) {
      const name = rawName.toLowerCase();
      const setting = this.byName.get(name);
      if (setting === undefined) return `ERR Unknown option or number of arguments for CONFIG SET - '${rawName.slice(0, SETTING_NAME_CHARS_MAX)}'`;
      if (seen.has(name)) return configSetError(name, 'duplicate parameter');
      seen.add(name);
      if (setting.set === undefined) return configSetError(name, "can't set immutable config");
      plan.push([setting, value]);
    }
    const applied: [Setting, string][] = [];
    for (const [setting, value] of plan) {
      const before = setting.get();
      const refused = setting.set!(value);
      if (refused !== null) {
        for (const [done, old] of applied.reverse()) done.set!(old);
        return configSetError(setting.name, refused);
      }
      applied.push([setting, before]);
    }
    return null;
  }
}
