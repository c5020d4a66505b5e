// The text of INFO: Redis's `# Section` / `field:value` lines, CRLF-separated,
// with the fields tools read (redis-cli, redis-benchmark, ioredis's ready
// check reads `loading`, monitoring reads used_memory and db0). The numbers
// come from the node's metrics (the same counters GET /metrics serves):
// used_memory is what the shard stores hold (hash index, slab pages, large
// values, expiry index: the number --maxmemory is judged by, summed over the
// shards as last published, within WORKER_IDLE_WAKE_MS), used_memory_rss the
// whole process's (the shards are threads of this process).

import { arch, platform, release } from 'node:os';
import type { RespNodeFacts, RespStats } from './resp-command-context.js';
import { REDIS_COMPAT_VERSION } from './resp-session-commands.js';

/** Sections INFO knows, in the order it prints them. */
export const INFO_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'keyspace'] as const;
export type InfoSection = (typeof INFO_SECTIONS)[number];

export interface InfoInput {
  facts: RespNodeFacts;
  stats: RespStats;
  respClients: number;
  /** Live keys from a `count` request, or null when the keyspace section was not asked for. */
  keys: bigint | null;
  /** The node's maxmemory in bytes (0: no limit). */
  maxmemoryBytes: number;
  nowMs: number;
}

/**
 * The sections asked for by INFO's arguments (lower-cased words): none,
 * `default`, `all` or `everything` mean all; unknown names add nothing, as in Redis.
 */
export function infoSectionsFor(words: readonly string[]): Set<InfoSection> {
  if (words.length === 0) return new Set(INFO_SECTIONS);
  const chosen = new Set<InfoSection>();
  for (const w of words) {
    if (w === 'default' || w === 'all' || w === 'everything') return new Set(INFO_SECTIONS);
    if ((INFO_SECTIONS as readonly string[]).includes(w)) chosen.add(w as InfoSection);
  }
  return chosen;
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(2)}K`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)}M`;
  return `${(bytes / 1024 ** 3).toFixed(2)}G`;
}

function sectionLines(section: InfoSection, input: InfoInput): string[] {
  const { facts, stats } = input;
  switch (section) {
    case 'server': {
      const uptimeS = Math.max(0, Math.floor((input.nowMs - facts.startedAtMs) / 1000));
      return [
        `redis_version:${REDIS_COMPAT_VERSION}`,
        `piccolo_version:${facts.version}`,
        'redis_mode:standalone',
        `os:${platform()} ${release()} ${arch()}`,
        `arch_bits:${arch().endsWith('64') ? 64 : 32}`,
        `process_id:${process.pid}`,
        `node_version:${process.versions.node}`,
        `tcp_port:${facts.respPort}`,
        `http_port:${facts.httpPort}`,
        `piccolo_workers:${facts.workers}`,
        `uptime_in_seconds:${uptimeS}`,
        `uptime_in_days:${Math.floor(uptimeS / 86_400)}`,
      ];
    }
    case 'clients':
      return [
        `connected_clients:${input.respClients}`,
        `piccolo_connected_clients_all_doors:${facts.connectedClients()}`,
        'blocked_clients:0',
      ];
    case 'memory': {
      const usage = process.memoryUsage();
      const storeBytes = stats.storeBytes;
      return [
        `used_memory:${storeBytes}`,
        `used_memory_human:${human(storeBytes)}`,
        `used_memory_rss:${usage.rss}`,
        `used_memory_rss_human:${human(usage.rss)}`,
        `used_memory_heap_used:${usage.heapUsed}`,
        `used_memory_heap_total:${usage.heapTotal}`,
        `used_memory_external:${usage.external}`,
        `used_memory_array_buffers:${usage.arrayBuffers}`,
        `maxmemory:${input.maxmemoryBytes}`,
        `maxmemory_human:${human(input.maxmemoryBytes)}`,
        'maxmemory_policy:noeviction',
        'mem_allocator:node',
      ];
    }
    case 'persistence':
      // Piccolo's log on disk is its AOF: every acknowledged write is in it (docs/durability.md); there is no RDB.
      return [
        'loading:0', `aof_enabled:${facts.storage === null ? 0 : 1}`, 'rdb_changes_since_last_save:0', 'rdb_bgsave_in_progress:0',
        ...(facts.storage === null ? [] : [`piccolo_data_dir:${facts.storage.dataDir}`, `piccolo_fsync:${facts.storage.fsync}`]),
      ];
    case 'stats':
      return [
        `total_connections_received:${stats.connectionsReceived}`,
        `total_commands_processed:${stats.commandsProcessed}`,
        `instantaneous_ops_per_sec:${stats.opsPerSecond}`,
        `rejected_connections:${stats.connectionsRejected}`,
        `expired_keys:${stats.expiredKeys}`,
        // Piccolo never evicts (maxmemory-policy noeviction).
        'evicted_keys:0',
        `piccolo_auth_failures:${stats.authFailures}`,
      ];
    case 'keyspace':
      // Redis omits db0 when it is empty. avg_ttl is not tracked: reported as 0, as Redis does for no sample.
      return input.keys !== null && input.keys > 0n ? [`db0:keys=${input.keys},expires=${stats.expiringKeys},avg_ttl=0`] : [];
  }
}

const TITLE: Readonly<Record<InfoSection, string>> = {
  server: 'Server', clients: 'Clients', memory: 'Memory', persistence: 'Persistence', stats: 'Stats', keyspace: 'Keyspace',
};

export function infoText(sections: ReadonlySet<InfoSection>, input: InfoInput): string {
  const blocks: string[] = [];
  for (const section of INFO_SECTIONS) {
    if (!sections.has(section)) continue;
    blocks.push([`# ${TITLE[section]}`, ...sectionLines(section, input)].join('\r\n'));
  }
  return blocks.length === 0 ? '' : `${blocks.join('\r\n\r\n')}\r\n`;
}
