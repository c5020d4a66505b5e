// The `call` op (core/protocol/ops.ts) read through its command's definition:
// which arguments are its keys, whether it writes, and whether it is valid
// (known name, arity, keys and argument bytes within limits). Validation
// answers with Redis's words, so the RESP door can pass them on.

import type { Limits } from '../limits.js';
import { errReply, type Bytes, type CallRequest, type ErrReply } from '../protocol/ops.js';
import { checkKey } from '../protocol/validate.js';
import { writesWith } from './data-command.js';
import { dataCommandOf } from './data-commands.js';

/** Its keys, by its command's key spec; none when the command is unknown or its arguments wrong (validation says which). */
export function callKeys(req: CallRequest): Bytes[] {
  const keys = dataCommandOf(req.name)?.keys(req.args);
  return Array.isArray(keys) ? keys : [];
}

/** Whether it goes through the log; an unknown command is judged a write (it never gets that far: validation refuses it). */
export function isWriteCall(req: CallRequest): boolean {
  const command = dataCommandOf(req.name);
  return command === undefined || writesWith(command, req.args);
}

/** Bytes of its name and arguments. */
export function callArgBytes(req: CallRequest): number {
  let n = req.name.length;
  for (const arg of req.args) n += arg.length;
  return n;
}

export function arityFits(arity: number, argCount: number): boolean {
  return arity > 0 ? argCount === arity : argCount >= -arity;
}

/** Redis's words for a wrong argument count. */
export function wrongArgCountMessage(name: string): string {
  return `wrong number of arguments for '${name}' command`;
}

/**
 * Null when the call may run, else its error: an unknown command, a wrong
 * argument count, malformed key positions, a key or argument over its limit,
 * or more argument bytes than a frame holds.
 */
export function validateCall(req: CallRequest, limits: Limits): ErrReply | null {
  const command = dataCommandOf(req.name);
  if (command === undefined) return errReply('UNKNOWN_OP', `unknown command '${req.name}'`);
  if (!arityFits(command.arity, req.args.length + 1)) return errReply('BAD_REQUEST', wrongArgCountMessage(req.name));
  const keys = command.keys(req.args);
  if (typeof keys === 'string') return errReply('BAD_REQUEST', keys);
  for (const key of keys) {
    const e = checkKey(key, limits);
    if (e) return e;
  }
  for (const arg of req.args) {
    if (arg.length > limits.valueBytesMax) {
      return errReply('VALUE_TOO_LARGE', `an argument is ${arg.length} bytes; the limit is ${limits.valueBytesMax}`);
    }
  }
  const bytes = callArgBytes(req);
  if (bytes > limits.frameBytesMax) {
    return errReply('LIMIT_EXCEEDED', `the command's arguments are ${bytes} bytes; the limit is ${limits.frameBytesMax} (one frame)`);
  }
  return null;
}
