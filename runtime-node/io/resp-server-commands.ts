// Commands about the server: COMMAND (what clients and redis-cli read to learn
// the commands), CONFIG (GET / SET of the node's settings registry,
// RESETSTAT of INFO's counters) and INFO.

import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../core/resp/glob.js';
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

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern> [<pattern> ...]',
  '    Return parameters matching the glob-like <pattern>s and their values.',
  'SET <directive> <value> [<directive> <value> ...]',
  '    Set the configuration <directive>s to <value>s, all or none.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'HELP',
  '    Print this help.',
];

const latin1Lower = (bytes: Uint8Array): Uint8Array => bytes.map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));

function runConfigGet(call: CommandCall): void {
  const globs: Glob[] = [];
  for (const pattern of call.args.slice(1)) {
    if (pattern.length > GLOB_PATTERN_BYTES_MAX) return call.done(fail(`ERR pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes`));
    // Setting names are lower case; Redis matches them without regard to case.
    globs.push(new Glob(latin1Lower(pattern)));
  }
  const encoder = new TextEncoder();
  const found = call.node.settings.matching((name) => globs.some((g) => g.matchesAll || g.matches(encoder.encode(name))));
  return call.done(reply({ type: 'map', entries: found.map(([name, value]) => [bulk(name), bulk(value)] as const) }));
}

function runConfigSet(call: CommandCall): void {
  const { args } = call;
  const pairs: [string, string][] = [];
  for (let i = 1; i + 1 < args.length; i += 2) pairs.push([text(args[i]!), text(args[i + 1]!)]);
  const refused = call.node.settings.setAll(pairs);
  return call.done(refused === null ? reply(OK) : fail(refused));
}

export function runConfig(call: CommandCall): void {
  const { args, node } = call;
  const sub = word(args[0]!);
  switch (sub) {
    case 'GET':
      if (args.length < 2) return call.done(fail(subcommandArityError('config', sub)));
      return runConfigGet(call);
    case 'SET':
      if (args.length < 3 || args.length % 2 === 0) return call.done(fail(subcommandArityError('config', sub)));
      return runConfigSet(call);
    case 'RESETSTAT':
      if (args.length !== 1) return call.done(fail(subcommandArityError('config', sub)));
      node.stats.reset();
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
    text: infoText(sections, {
      facts: node.facts, stats: node.stats, respClients, keys, nowMs: call.nowMs, maxmemoryBytes: Number(node.settings.get('maxmemory')?.get() ?? 0),
    }),
  }));
  if (!sections.has('keyspace')) return answer(null);
  node.execute({ op: 'count' }, (r) => {
    if (!r.ok) return call.done(fail(errorText(r)));
    answer(r.integer ?? 0n);
  });
}
