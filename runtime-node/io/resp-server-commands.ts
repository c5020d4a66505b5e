// Commands about the server: COMMAND (what clients and redis-cli read to learn
// the commands), CONFIG (GET of the few settings tools ask for; Piccolo is
// configured by its command line, not at run time) and INFO.

import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../core/resp/glob.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import { errorText } from '../../core/resp/resp-errors.js';
import {
  bulk, fail, helpLines, integer, OK, reply, subcommandArityError, text, unknownSubcommand, word, type CommandCall,
} from './resp-command-context.js';
import { COMMAND_TABLE, commandDocsValue, commandInfo, commandInfoValue } from './resp-command-table.js';
import { infoSectionsFor, infoText } from './resp-info.js';

const COMMAND_NAMES_SORTED = Object.keys(COMMAND_TABLE).sort();

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all commands.',
  'COUNT',
  '    Return the total number of commands.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple commands (summary, since, group).',
  'INFO [<command-name> ...]',
  '    Return details about multiple commands.',
  'LIST',
  '    Return a list of all commands.',
  'HELP',
  '    Print this help.',
];

export function runCommand(call: CommandCall): void {
  const { args } = call;
  if (args.length === 0) return call.done(reply({ type: 'array', items: COMMAND_NAMES_SORTED.map(commandInfoValue) }));
  const sub = word(args[0]!);
  const names = args.slice(1).map((a) => text(a).toLowerCase());
  switch (sub) {
    case 'COUNT':
      if (args.length !== 1) return call.done(fail(subcommandArityError('command', sub)));
      return call.done(reply(integer(COMMAND_NAMES_SORTED.length)));
    case 'LIST':
      // FILTERBY is not supported: the list is short.
      if (args.length !== 1) return call.done(fail('ERR syntax error'));
      return call.done(reply({ type: 'array', items: COMMAND_NAMES_SORTED.map((n) => bulk(n)) }));
    case 'INFO': {
      const chosen = names.length === 0 ? COMMAND_NAMES_SORTED : names;
      return call.done(reply({ type: 'array', items: chosen.map(commandInfoValue) }));
    }
    case 'DOCS': {
      const chosen = names.length === 0 ? COMMAND_NAMES_SORTED : names.filter((n) => commandInfo(n) !== undefined);
      return call.done(reply({ type: 'map', entries: chosen.map((n) => [bulk(n), commandDocsValue(n)] as const) }));
    }
    case 'HELP':
      return call.done(reply(helpLines(COMMAND_HELP)));
    default:
      return call.done(fail(unknownSubcommand('command', args[0]!)));
  }
}

/** Settings CONFIG GET reports. Tools ask for save/appendonly (redis-benchmark) and maxmemory. */
function configValues(call: CommandCall): [string, string][] {
  const { facts, limits } = call.node;
  return [
    ['save', ''],
    ['appendonly', 'no'],
    ['databases', '1'],
    ['maxmemory', '0'],
    ['maxmemory-policy', 'noeviction'],
    ['maxclients', String(limits.connectionsMax)],
    ['proto-max-bulk-len', String(limits.valueBytesMax)],
    ['timeout', '0'],
    ['port', String(facts.respPort)],
    ['bind', facts.host],
  ];
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Not supported: Piccolo is configured by its command line.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'HELP',
  '    Print this help.',
];

export function runConfig(call: CommandCall): void {
  const { args, node } = call;
  const sub = word(args[0]!);
  switch (sub) {
    case 'GET': {
      if (args.length < 2) return call.done(fail(subcommandArityError('config', sub)));
      const globs: Glob[] = [];
      for (const pattern of args.slice(1)) {
        if (pattern.length > GLOB_PATTERN_BYTES_MAX) return call.done(fail(`ERR pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes`));
        globs.push(new Glob(pattern));
      }
      const encoder = new TextEncoder();
      const entries: (readonly [RespValue, RespValue])[] = [];
      for (const [name, value] of configValues(call)) {
        if (globs.some((g) => g.matches(encoder.encode(name)))) entries.push([bulk(name), bulk(value)]);
      }
      return call.done(reply({ type: 'map', entries }));
    }
    case 'SET':
      if (args.length < 3 || args.length % 2 === 0) return call.done(fail(subcommandArityError('config', sub)));
      return call.done(fail(`ERR Unsupported CONFIG parameter: ${text(args[1]!).slice(0, 128)}`));
    case 'RESETSTAT':
      if (args.length !== 1) return call.done(fail(subcommandArityError('config', sub)));
      node.stats.commandsProcessed = 0;
      node.stats.connectionsReceived = 0;
      node.stats.connectionsRejected = 0;
      return call.done(reply(OK));
    case 'HELP':
      return call.done(reply(helpLines(CONFIG_HELP)));
    default:
      return call.done(fail(unknownSubcommand('config', args[0]!)));
  }
}

export function runInfo(call: CommandCall): void {
  const { node } = call;
  const sections = infoSectionsFor(call.args.map((a) => text(a).toLowerCase()));
  let respClients = 0;
  for (const _ of node.sessions()) respClients++;
  const answer = (keys: bigint | null): void => call.done(reply({
    type: 'verbatim',
    format: 'txt',
    text: infoText(sections, { facts: node.facts, stats: node.stats, respClients, keys, nowMs: call.nowMs }),
  }));
  if (!sections.has('keyspace')) return answer(null);
  node.execute({ op: 'count' }, (r) => {
    if (!r.ok) return call.done(fail(errorText(r)));
    answer(r.integer ?? 0n);
  });
}
