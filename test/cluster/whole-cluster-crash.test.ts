// kill -9 of a whole cluster: three real node processes, each with its own
// data directory (--fsync always), take writes and reads through every node;
// at a random moment all three are SIGKILLed at once and restarted on the
// same directories. After every restart each key holds its last
// acknowledged write (or the one write in flight at the kill), and the
// whole history, across every kill, checks linearizable (core/checker).
// Each key has one sequential writer, so "last acknowledged" is well
// defined. Real processes on loopback; needs `npm run build`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkHistory, pairEvents } from '../../core/checker/index.js';
import { Random } from '../../core/random.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { HistoryBuilder } from '../checker/history-builder.js';
import { clusterReady, FollowingClient, startCluster, type TestCluster } from './cluster-nodes.js';

/** Whole-cluster kills (each a restart of all three on their directories). */
const KILLS = 4;
const KEYS = 12;
const READERS = 4;
/** Load runs this long before the kill: random in the range, so the kill lands anywhere in the write path. */
const LOAD_MS_MIN = 300;
const LOAD_MS_MAX = 1_500;
/** How long a client command may keep retrying (MOVED, TRYAGAIN, a dead node) before its outcome is unknown. */
const COMMAND_MS_MAX = 1_000;
const READY_MS_MAX = 15_000;
const PROCESS_BLOCK = 1000;
const VERIFY_PROCESS = 999;

const dir = mkdtempSync(join(tmpdir(), 'piccolo-cluster-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keyName = (i: number): string => `wcc:k${i}`;
const slot = (key: string): number => slotOf(Buffer.from(key));

it(`a cluster killed whole (kill -9 of all three nodes at once, ${KILLS} times) keeps every acknowledged write`, async () => {
  const random = Random.fromSeed(Date.now() % 2 ** 31);
  // Events in call order, which on one event loop is real-time order.
  const history = new HistoryBuilder();
  const acked: (string | null)[] = Array.from({ length: KEYS }, () => null);
  const inFlight: (string | null)[] = Array.from({ length: KEYS }, () => null);
  let ackedWrites = 0;
  let cluster: TestCluster | null = null;
  try {
    for (let round = 0; round <= KILLS; round++) {
      cluster = await startCluster(3, (id) => ['--groups', '3', '--workers', '1', '--data-dir', join(dir, `node-${id}`), '--fsync', 'always']);
      await clusterReady(cluster, READY_MS_MAX);
      const ports = cluster.nodes.map((n) => n.node.respPort!);
      const base = round * PROCESS_BLOCK;

      // Every key holds its last acknowledged write, or the write in flight at the kill.
      const verifier = new FollowingClient(ports);
      for (let i = 0; i < KEYS; i++) {
        const key = keyName(i);
        history.invoke(base + VERIFY_PROCESS, 'read', key);
        const value = await verifier.command(slot(key), ['get', key], Date.now() + 5_000) as string | null;
        history.ok(base + VERIFY_PROCESS, value);
        const allowed = inFlight[i] === null ? [acked[i]] : [acked[i], inFlight[i]];
        expect(allowed, `key ${key} after whole-cluster restart ${round}`).toContain(value);
        acked[i] = value;
        inFlight[i] = null;
      }
      verifier.close();
      if (round === KILLS) break;

      let killed = false;
      const writer = async (i: number): Promise<void> => {
        const client = new FollowingClient(ports);
        const key = keyName(i);
        for (let n = 0; !killed; n++) {
          const value = `r${round}-n${n}`;
          history.invoke(base + i, 'write', key, value);
          inFlight[i] = value;
          let reply: unknown;
          try {
            reply = await client.command(slot(key), ['set', key, value], Date.now() + COMMAND_MS_MAX);
          } catch {
            reply = null;
          }
          if (reply !== 'OK') {
            // No reply (or not OK): the outcome is unknown, and this process writes no more.
            history.info(base + i);
            break;
          }
          history.ok(base + i);
          acked[i] = value;
          inFlight[i] = null;
          ackedWrites++;
        }
        client.close();
      };
      const reader = async (process: number, rng: Random): Promise<void> => {
        const client = new FollowingClient(ports);
        while (!killed) {
          const key = keyName(rng.int(0, KEYS - 1));
          history.invoke(process, 'read', key);
          try {
            const value = await client.command(slot(key), ['get', key], Date.now() + COMMAND_MS_MAX) as string | null;
            history.ok(process, value);
          } catch {
            history.info(process);
            break;
          }
        }
        client.close();
      };
      const load = [
        ...Array.from({ length: KEYS }, (_, i) => writer(i)),
        ...Array.from({ length: READERS }, (_, j) => reader(base + 500 + j, random.fork())),
      ];
      await new Promise((r) => setTimeout(r, random.int(LOAD_MS_MIN, LOAD_MS_MAX)));
      // All three at once: no node gets to write anything after the others died.
      for (const n of cluster.nodes) n.node.process.kill('SIGKILL');
      await Promise.all(cluster.nodes.map((n) => n.node.stop()));
      cluster = null;
      killed = true;
      await Promise.all(load);
    }
  } finally {
    await cluster?.stopAll();
  }

  expect(ackedWrites, 'the load really ran').toBeGreaterThan(KILLS * 20);
  const paired = pairEvents(history.events);
  expect(paired.ok).toBe(true);
  if (!paired.ok) return;
  const verdict = checkHistory(paired.ops, { stepsMax: 20_000_000 });
  expect(verdict.linearizable, JSON.stringify(verdict).slice(0, 2000)).toBe(true);
  console.log(`whole-cluster-crash: ${KILLS} kills of all three nodes, ${ackedWrites} acknowledged writes, ${paired.ops.length} operations checked`);
}, 90_000);
