// The RESP door's side of the data commands (core/types/): one `call`
// request per command, its reply tree written in the connection's protocol.
// A command's error text is Redis's: BAD_REQUEST answers carry Redis's
// words after "ERR", WRONG_TYPE comes out as WRONGTYPE.

import type { DataValue } from '../protocol/data-value.js';
import { dataCommandOf } from '../types/data-commands.js';
import { errorPlan, replyPlan, requestsPlan, writeErrReply, type Finish, type Plan, type TranslateContext } from './plan.js';
import type { ReplyWriter } from './reply-encoder.js';
import { arityError } from './resp-errors.js';
import { isOption } from './command-args.js';
import { arityFits } from '../types/call-request.js';

/** Write a data command's reply tree: RESP3 types degrade for RESP2 as Redis's do (map, pairs -> flat array, set -> array, double -> bulk). */
export function writeDataValue(out: ReplyWriter, value: DataValue): void {
  switch (value.t) {
    case 'nil': out.writeNull(); return;
    case 'nilArray': out.writeNullArray(); return;
    case 'int': out.writeInteger(value.v); return;
    case 'bytes': out.writeBulk(value.v); return;
    case 'double': out.writeDouble(value.v); return;
    case 'status': out.writeSimpleString(value.v); return;
    case 'array':
      out.writeArrayHeader(value.v.length);
      for (const item of value.v) writeDataValue(out, item);
      return;
    case 'set':
      out.writeSetHeader(value.v.length);
      for (const item of value.v) writeDataValue(out, item);
      return;
    case 'map':
      out.writeMapHeader(value.v.length / 2);
      for (const item of value.v) writeDataValue(out, item);
      return;
    case 'pairs':
      if (out.protocol === 2) {
        out.writeArrayHeader(value.v.length);
        for (const item of value.v) writeDataValue(out, item);
        return;
      }
      out.writeArrayHeader(value.v.length / 2);
      for (let i = 0; i < value.v.length; i += 2) {
        out.writeArrayHeader(2);
        writeDataValue(out, value.v[i]!);
        writeDataValue(out, value.v[i + 1]!);
      }
      return;
  }
}

/** OBJECT HELP: keyless, so the door answers it (Redis's lines, less those about what Piccolo does not track). */
const OBJECT_HELP = {
  type: 'array' as const,
  items: [
    'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'ENCODING <key>',
    '    Return the kind of internal representation used in order to store the value',
    '    associated with a <key>.',
    'FREQ <key>',
    '    Return the access frequency index of the <key>. The returned integer is',
    '    proportional to the logarithm of the recent access frequency of the key.',
    'IDLETIME <key>',
    '    Return the idle time of the <key>, that is the approximated number of',
    '    seconds elapsed since the last access to the key (always 0: not tracked).',
    'REFCOUNT <key>',
    '    Return the number of references of the value associated with the specified',
    '    <key> (always 1: values are not shared).',
    'HELP',
    '    Print this help.',
  ].map((text) => ({ type: 'simple' as const, text })),
};

const finishCall: Finish = (replies, out) => {
  const r = replies[0]!;
  // A data command refusing to replace a key (RESTORE without REPLACE) says so in Redis's words.
  if (!r.ok && r.code === 'KEY_EXISTS') return out.writeError(`BUSYKEY ${r.message}`);
  if (!r.ok) return writeErrReply(r, out);
  writeDataValue(out, r.data ?? { t: 'nil' });
};

/** The plan for a data command, or undefined when `name` is none (then it is unknown). `args` include the name. */
export function translateDataCommand(name: string, args: Uint8Array[], ctx: TranslateContext): Plan | undefined {
  const command = dataCommandOf(name);
  if (command === undefined) return undefined;
  if (name === 'object' && args.length === 2 && isOption(args[1]!, 'HELP')) return replyPlan(OBJECT_HELP);
  if (!arityFits(command.arity, args.length)) return errorPlan(arityError(name));
  return requestsPlan([{ op: 'call', name, args: args.slice(1) }], finishCall, ctx);
}
