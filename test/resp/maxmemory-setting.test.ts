// CONFIG SET maxmemory: Redis's memory values (plain bytes, k/m/g powers of
// 1000, kb/mb/gb powers of 1024, any case), refused with Redis's words
// otherwise, and the setting reaches the node's MemorySetting.
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { parseMemoryBytes, registerRedisSettings } from '../../runtime-node/config/redis-settings.js';
import { memoryHolder, passwordHolder } from '../metrics/setting-holders.js';
import { SettingsRegistry } from '../../runtime-node/config/settings-registry.js';
import { ConnectionBudget } from '../../runtime-node/io/connection-budget.js';

describe('maxmemory setting', () => {
  it('reads Redis memory values', () => {
    expect(parseMemoryBytes('0')).toBe(0);
    expect(parseMemoryBytes('1048576')).toBe(1048576);
    expect(parseMemoryBytes('100mb')).toBe(100 * 1024 * 1024);
    expect(parseMemoryBytes('1G')).toBe(1e9);
    expect(parseMemoryBytes('2kb')).toBe(2048);
    expect(parseMemoryBytes('3k')).toBe(3000);
    for (const bad of ['', '-1', '1.5mb', '10tb', 'mb', '12 mb', '99999999999999999']) expect(parseMemoryBytes(bad)).toBeNull();
  });

  it('CONFIG SET maxmemory changes the node\'s setting; GET shows bytes; a bad value changes nothing', () => {
    const settings = new SettingsRegistry();
    const maxmemory = memoryHolder(0);
    registerRedisSettings(settings, {
      budget: new ConnectionBudget(10), password: passwordHolder(null), maxmemory, limits: makeLimits(), host: '127.0.0.1', respPort: () => 0,
    });
    expect(settings.setAll([['maxmemory', '10mb']])).toBeNull();
    expect(maxmemory.get()).toBe(10 * 1024 * 1024);
    expect(settings.matching((n) => n === 'maxmemory')).toEqual([['maxmemory', String(10 * 1024 * 1024)]]);
    expect(settings.setAll([['maxmemory', 'lots']])).toMatch(/^ERR CONFIG SET failed \(possibly related to argument 'maxmemory'\)/);
    expect(maxmemory.get()).toBe(10 * 1024 * 1024);
    expect(settings.setAll([['maxmemory-policy', 'allkeys-lru']])).not.toBeNull(); // only noeviction
  });
});
