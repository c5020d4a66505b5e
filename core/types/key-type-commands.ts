// Commands about what a key holds, whatever its type: TYPE.

import { errReply } from '../protocol/ops.js';
import { VALUE_TYPE_NAMES } from '../store/value-type.js';
import { FIRST_KEY, type DataCommand } from './data-command.js';
import { ABSENT } from './key-access.js';

export const KEY_TYPE_COMMANDS: readonly DataCommand[] = [
  {
    name: 'type',
    arity: 2,
    write: false,
    keys: FIRST_KEY,
    run(keys, args) {
      if (args.length !== 1) return errReply('BAD_REQUEST', "wrong number of arguments for 'type' command");
      const h = keys.find(args[0]!);
      return { ok: true, data: { t: 'status', v: h === ABSENT ? 'none' : VALUE_TYPE_NAMES[keys.typeOf(h)]! } };
    },
  },
];
