// Whether this build's core knows the data commands (core/types/data-commands.ts
// exporting DATA_COMMANDS with 'hset'). The wire work for the `call` op lands
// before the core's; tests that need a shard which runs calls (or validation
// that understands one inside a transaction) skip until it is there.

async function probe(): Promise<boolean> {
  try {
    // A variable path: the module may not exist yet, and the type checker must not insist on it.
    const path = '../../core/types/data-commands.js';
    const module = (await import(/* @vite-ignore */ path)) as { DATA_COMMANDS?: unknown };
    const table = module.DATA_COMMANDS;
    if (table instanceof Map) return table.has('hset');
    if (Array.isArray(table)) return table.includes('hset') || table.some((c: { name?: unknown }) => c?.name === 'hset');
    return typeof table === 'object' && table !== null && 'hset' in table;
  } catch {
    return false;
  }
}

export const dataCommandsAvailable: boolean = await probe();
