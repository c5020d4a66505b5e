// COMMAND's table must describe exactly the commands translate() serves, with
// the arities it enforces, or clients that read it would be misled.
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { COMMAND_NAMES, translate } from '../../core/resp/commands.js';
import { COMMAND_TABLE } from '../../runtime-node/io/resp-command-table.js';

const ctx = { nowMs: 1_700_000_000_000, limits: makeLimits() };
const isArityError = (name: string, argCount: number): boolean => {
  const args = [Buffer.from(name), ...Array.from({ length: argCount - 1 }, () => Buffer.from('1'))];
  const plan = translate(args, ctx);
  return plan.kind === 'reply' && plan.reply.type === 'error' && plan.reply.text.startsWith('ERR wrong number of arguments');
};

describe('COMMAND table', () => {
  it('names exactly the commands translate() knows', () => {
    expect(Object.keys(COMMAND_TABLE).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each(Object.entries(COMMAND_TABLE))('%s: its arity is the one translate() enforces', (name, info) => {
    if (info.arity > 0) {
      expect(isArityError(name, info.arity)).toBe(false);
      expect(isArityError(name, info.arity + 1)).toBe(true);
      if (info.arity > 1) expect(isArityError(name, info.arity - 1)).toBe(true);
    } else {
      expect(isArityError(name, -info.arity)).toBe(false);
      if (-info.arity > 1) expect(isArityError(name, -info.arity - 1)).toBe(true);
    }
  });
});
