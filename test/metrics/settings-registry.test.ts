// The settings registry CONFIG GET / SET use: matching, all-or-nothing SET
// with Redis's error texts, and the Redis-compatibility settings that change
// the running node (maxclients, requirepass).
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { ConnectionBudget } from '../../runtime-node/io/connection-budget.js';
import { registerRedisSettings } from '../../runtime-node/config/redis-settings.js';
import { memoryHolder, passwordHolder } from './setting-holders.js';
import { SettingsRegistry } from '../../runtime-node/config/settings-registry.js';

function registry(): { settings: SettingsRegistry; budget: ConnectionBudget; password: ReturnType<typeof passwordHolder> } {
  const settings = new SettingsRegistry();
  const budget = new ConnectionBudget(100);
  const password = passwordHolder(null);
  registerRedisSettings(settings, { budget, password, maxmemory: memoryHolder(0), limits: makeLimits(), host: '127.0.0.1', respPort: () => 6380 });
  return { settings, budget, password };
}

describe('SettingsRegistry', () => {
  it('lists matching settings by name', () => {
    const { settings } = registry();
    expect(settings.matching((n) => n.startsWith('max'))).toEqual([
      ['maxclients', '100'], ['maxmemory', '0'], ['maxmemory-policy', 'noeviction'],
    ]);
    expect(settings.matching((n) => n === 'port')).toEqual([['port', '6380']]);
    expect(settings.matching((n) => n === 'ring-bytes')).toEqual([['ring-bytes', String(makeLimits().ringBytes)]]);
  });

  it('sets maxclients on the live budget, under either of its names', () => {
    const { settings, budget } = registry();
    expect(settings.setAll([['MaxClients', '5']])).toBeNull();
    expect(budget.connectionsMax).toBe(5);
    expect(settings.setAll([['connections-max', '6']])).toBeNull();
    expect(settings.matching((n) => n === 'maxclients')).toEqual([['maxclients', '6']]);
  });

  it('refuses with Redis error texts and changes nothing when any pair is refused', () => {
    const { settings, budget, password } = registry();
    expect(settings.setAll([['port', '1']])).toBe("ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
    expect(settings.setAll([['nope', '1']])).toBe("ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
    expect(settings.setAll([['maxclients', '5'], ['maxclients', '6']]))
      .toBe("ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter");
    // requirepass and maxclients are applied, then save is refused: both are put back.
    expect(settings.setAll([['requirepass', 'pw'], ['maxclients', '7'], ['save', '900 1']]))
      .toBe("ERR CONFIG SET failed (possibly related to argument 'save') - Piccolo supports only ''");
    expect(budget.connectionsMax).toBe(100);
    expect(password.get()).toBeNull();
    expect(settings.setAll([['maxclients', 'ten']]))
      .toBe("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer");
    expect(settings.setAll([['maxclients', '0']])).toMatch(/argument must be between 1 and 4294967295 inclusive$/);
  });

  it('sets and clears requirepass through the given setter', () => {
    const { settings, password } = registry();
    expect(settings.setAll([['requirepass', 'pw'], ['save', '']])).toBeNull();
    expect(password.get()).toBe('pw');
    expect(settings.setAll([['requirepass', '']])).toBeNull();
    expect(password.get()).toBeNull();
  });
});
