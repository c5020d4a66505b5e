// Which of an ioredis Cluster client's connections leads a key's group: the
// one its slot cache names for the key's slot. Tests that must talk to the
// leader itself (WATCH with MULTI, pipelines whose order matters) use it.

import type { Cluster, Redis } from 'ioredis';
import { slotOf } from '../../core/routing/slot-hash.js';

export function ownerOf(client: Cluster, key: string): Redis {
  const slots = (client as unknown as { slots: string[][] }).slots;
  const address = slots[slotOf(Buffer.from(key))]![0]!;
  const owner = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address);
  if (owner === undefined) throw new Error(`no connection to ${address}, the leader of ${key}'s group`);
  return owner;
}
