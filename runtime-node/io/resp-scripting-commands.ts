// The scripting families answered as a Redis server that has no scripts:
// Piccolo runs no Lua and no functions. What only reads or clears the
// (always empty) script and function stores succeeds, so tools and client
// libraries that probe or clean up work; whatever would run or store code
// gets one clear error.

import { fail, helpLines, integer, OK, reply, subcommandArityError, unknownSubcommand, word, type CommandCall } from './resp-command-context.js';

export const SCRIPTING_UNSUPPORTED_ERROR = 'ERR scripting is not supported by Piccolo';
/** Redis's answer to SCRIPT KILL / FUNCTION KILL when nothing runs, which is always here. */
const NOTBUSY_ERROR = 'NOTBUSY No scripts in execution right now.';

/** EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL, FCALL_RO. */
export function runScriptCall(call: CommandCall): void {
  call.done(fail(SCRIPTING_UNSUPPORTED_ERROR));
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return 0 for each script: Piccolo keeps no scripts.',
  'FLUSH [ASYNC|SYNC]',
  '    Nothing to flush; OK.',
  'KILL',
  '    No script ever runs; NOTBUSY.',
  'LOAD <script>',
  '    Not supported: Piccolo runs no scripts.',
  'HELP',
  '    Print this help.',
];

/** FLUSH's optional ASYNC / SYNC, as Redis checks it. */
function flushModeValid(call: CommandCall): boolean {
  if (call.args.length === 1) return true;
  if (call.args.length > 2) return false;
  const mode = word(call.args[1]!);
  return mode === 'ASYNC' || mode === 'SYNC';
}

export function runScript(call: CommandCall): void {
  const { args } = call;
  const sub = word(args[0]!);
  switch (sub) {
    case 'EXISTS':
      if (args.length < 2) return call.done(fail(subcommandArityError('script', sub)));
      return call.done(reply({ type: 'array', items: args.slice(1).map(() => integer(0)) }));
    case 'FLUSH':
      if (!flushModeValid(call)) return call.done(fail('ERR SCRIPT FLUSH only support SYNC|ASYNC option'));
      return call.done(reply(OK));
    case 'KILL':
      if (args.length !== 1) return call.done(fail(subcommandArityError('script', sub)));
      return call.done(fail(NOTBUSY_ERROR));
    case 'LOAD':
      if (args.length !== 2) return call.done(fail(subcommandArityError('script', sub)));
      return call.done(fail(SCRIPTING_UNSUPPORTED_ERROR));
    case 'HELP':
      return call.done(reply(helpLines(SCRIPT_HELP)));
    default:
      return call.done(fail(unknownSubcommand('script', args[0]!)));
  }
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LIST [LIBRARYNAME <pattern>] [WITHCODE]',
  '    Return the libraries: none, Piccolo runs no functions.',
  'STATS',
  '    Return information about the running function (none) and the engines (none).',
  'FLUSH [ASYNC|SYNC]',
  '    Nothing to flush; OK.',
  'DELETE <library-name>',
  '    No library exists.',
  'KILL',
  '    No function ever runs; NOTBUSY.',
  'LOAD, DUMP, RESTORE',
  '    Not supported: Piccolo runs no functions.',
  'HELP',
  '    Print this help.',
];

export function runFunction(call: CommandCall): void {
  const { args } = call;
  const sub = word(args[0]!);
  switch (sub) {
    case 'LIST':
      return call.done(reply({ type: 'array', items: [] }));
    case 'STATS':
      if (args.length !== 1) return call.done(fail(subcommandArityError('function', sub)));
      return call.done(reply({
        type: 'map',
        entries: [
          [{ type: 'bulk', value: 'running_script' }, { type: 'null' }],
          [{ type: 'bulk', value: 'engines' }, { type: 'map', entries: [] }],
        ],
      }));
    case 'FLUSH':
      if (!flushModeValid(call)) return call.done(fail('ERR FUNCTION FLUSH only supports SYNC|ASYNC option'));
      return call.done(reply(OK));
    case 'DELETE':
      if (args.length !== 2) return call.done(fail(subcommandArityError('function', sub)));
      return call.done(fail('ERR Library not found'));
    case 'KILL':
      if (args.length !== 1) return call.done(fail(subcommandArityError('function', sub)));
      return call.done(fail(NOTBUSY_ERROR));
    case 'LOAD':
    case 'DUMP':
    case 'RESTORE':
      return call.done(fail(SCRIPTING_UNSUPPORTED_ERROR));
    case 'HELP':
      return call.done(reply(helpLines(FUNCTION_HELP)));
    default:
      return call.done(fail(unknownSubcommand('function', args[0]!)));
  }
}
