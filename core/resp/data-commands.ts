// The RESP door's side of the data commands (core/types/): one `call`
// request per command, its reply tree written in the connection's protocol.
// A command's error text is Redis's: BAD_REQUEST answers carry Redis's
// words after "ERR", WRONG_TYPE comes out as WRONGTYPE.

import type { DataValue } from '../protocol/data-value.js';
import { dataCommandOf } from '../types/data-commands.js';
import { errorPlan, requestsPlan, writeErrReply, type Finish, type Plan, type TranslateContext } from './plan.js';
import type { ReplyWriter } from './reply-encoder.js';
import { arityError } from './resp-errors.js';
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

const finishCall: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  writeDataValue(out, r.data ?? { t: 'nil' });
};

/** The plan for a data command, or undefined when `name` is none (then it is unknown). `args` include the name. */
export function translateDataCommand(name: string, args: Uint8Array[], ctx: TranslateContext): Plan | undefined {
  const command = dataCommandOf(name);
  if (command === undefined) return undefined;
  if (!arityFits(command.arity, args.length)) return errorPlan(arityError(name));
  return requestsPlan([{ op: 'call', name, args: args.slice(1) }], finishCall, ctx);
}
