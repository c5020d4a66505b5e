// The text a run prints. Everything here is a function of the seed and the
// options, so the same seed prints byte-identical output; wall-clock timings
// are printed separately (cli.ts), on lines marked as such.

import { OP_FUNCTIONS } from '../core/checker/index.js';
import type { SimConfig } from './config.js';
import { formatDelay, formatUs } from './delay.js';
import type { SeedRun } from './run-seed.js';
import { hostName } from './topology.js';
import { describeStrike } from './leader-strike-plan.js';

/** The command that replays a run exactly (the options that shaped it; the seed chooses the rest). */
export function replayCommand(config: SimConfig): string {
  const parts = ['npm run sim --', `--seed ${config.seed}`, `--nodes ${config.nodes}`];
  if (config.cluster !== null) parts.push(`--groups ${config.cluster.groups}`, `--replicas ${config.cluster.replicas}`);
  else if (config.nodes > 1) parts.push('--lone');
  parts.push(`--clients ${config.clients}`, `--ops ${config.ops}`);
  if (config.workload.weights.tx > 0) parts.push(`--tx ${config.workload.weights.tx}`);
  if (config.workload.data !== null) parts.push(`--data ${config.workload.data.share}`);
  if (config.nodeSettings[0]!.backgroundSync) parts.push('--background-sync');
  if (config.faultsExplicit) parts.push(`--faults ${config.faultsAllowed.length === 0 ? 'none' : config.faultsAllowed.join(',')}`);
  return parts.join(' ');
}

function bytes(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}KiB` : `${n}B`;
}

function span(startUs: number, endUs: number): string {
  return `${formatUs(startUs)}..${formatUs(endUs)}`;
}

/** The configuration and fault schedule: every knob the seed chose. */
export function formatConfig(config: SimConfig): string[] {
  const { faults, layout, session, workload, ttl } = config;
  const name = (h: number): string => hostName(layout, h);
  const lines: string[] = [];
  lines.push(`piccolo sim: seed ${config.seed}`);
  const cluster = config.cluster;
  lines.push(`topology: nodes=${config.nodes} clients=${config.clients} processes-per-client=${config.processesPerClient} ops=${config.ops} `
    + (cluster === null ? '(each node independent; keys routed to the owner of their slot)'
      : `(cluster: groups=${cluster.groups} replicas=${cluster.replicas} raft-tick=${formatUs(cluster.tickUs)} leader-wait=${cluster.leaderWaitTicks} ticks; keys routed to their group's leader)`));
  config.nodeSettings.forEach((s, n) => {
    lines.push(`  n${n}: workers=${s.workers} shards=${s.shards} ring=${bytes(s.ringBytes)} batch=${s.batchMax} idle-wake=${formatUs(s.idleWakeUs)} `
      + `sweep-every=${s.sweepIntervalMs}ms skew=${faults.skewMs[n]! >= 0 ? '+' : ''}${faults.skewMs[n]}ms `
      + `cost(io-req=${s.ioRequestCostUs}us io-reply=${s.ioReplyCostUs}us record=${s.workerRecordCostUs}us drain=${s.drainCostUs}us) wake(${formatDelay(s.wake)})`);
  });
  if (config.nodeSettings[0]!.backgroundSync) lines.push('disks: fsyncs finish in the background (the worker goes on meanwhile)');
  lines.push(`network: delay ${formatDelay(config.delay)}; client links: ${session.lossy ? 'lossy datagrams' : 'streams (TCP semantics)'}`);
  lines.push(`clients: timeout=${formatUs(session.timeoutUs)} connect-timeout=${formatUs(session.connectTimeoutUs)} `
    + `backoff=${formatUs(session.backoffMinUs)}..${formatUs(session.backoffMaxUs)} keepalive=${formatUs(session.keepaliveUs)} think-mean=${formatUs(workload.thinkMeanUs)}`);
  if (config.failoverHosts.some((f) => !f)) {
    lines.push(`  clients staying with their leader after a timeout: ${config.failoverHosts.map((f, c) => (f ? '' : hostName(layout, layout.workloadHosts[c]!))).filter((n) => n !== '').join(',')}`);
  }
  if (config.readOnlyHosts.some((r) => r)) {
    lines.push(`  clients only reading: ${config.readOnlyHosts.map((r, c) => (r ? hostName(layout, layout.workloadHosts[c]!) : '')).filter((n) => n !== '').join(',')}`);
  }
  const w = workload.weights;
  lines.push(`workload: register-keys=${workload.registerKeys.length} counter-keys=${workload.counterKeys.length} `
    + `weights(read=${w.read} write=${w.write} cas=${w.cas} delete=${w.delete} incr=${w.incr}${w.tx > 0 ? ` tx=${w.tx}` : ''}) value-pad=${workload.valuePadMax >> 1}..${workload.valuePadMax}B incr-delta<=${workload.incrDeltaMax}`);
  const data = workload.data;
  if (data !== null) {
    const hw = data.hashWeights;
    lines.push(`data: share=${data.share} lists=${data.listShare} hash-keys=${data.hashKeys.join(',')} fields=${data.hashFields.length} counter-fields=${data.hashCounterFields.length} `
      + `big=${data.bigHashKeys.join(',') || '-'} list-keys=${data.listKeys.join(',')} weights(hget=${hw.read} hset=${hw.write} hdel=${hw.delete} hincrby=${hw.incr})`);
  }
  lines.push(`ttl: keys=${ttl.keys} ttl=${ttl.ttlMinMs}..${ttl.ttlMaxMs}ms reads-per-key=${ttl.readsPerKey}`);
  const allowed = config.faultsAllowed.length === 0 ? 'none' : config.faultsAllowed.join(',');
  lines.push(`faults: allowed=${allowed}${config.faultsExplicit ? '' : ' (default: each on by chance)'} on=${faults.enabled.length === 0 ? 'none' : faults.enabled.join(',')}`);
  for (const p of faults.partitions) {
    const sides = `${p.shape.a.map(name).join(',')} ${p.shape.oneWay ? '-/->' : '<-/->'} ${p.shape.b.map(name).join(',')}`;
    lines.push(`  partition ${p.kind} ${span(p.startUs, p.endUs)}: ${sides}`);
  }
  for (const p of faults.pauses) lines.push(`  pause n${p.node}${p.worker === null ? ' (whole node)' : `/w${p.worker}`} ${span(p.startUs, p.endUs)}`);
  if (faults.hiccups !== null) lines.push(`  scheduling hiccups p=${faults.hiccups.probability} up to ${formatUs(faults.hiccups.maxUs)}`);
  if (faults.resets.length > 0) lines.push(`  connection resets at ${faults.resets.map(formatUs).join(', ')}`);
  for (const c of faults.crashes) lines.push(`  crash n${c.node} at ${formatUs(c.atUs)} (${c.machineDown ? 'machine down, no RST' : 'process crash, RSTs'}), restart at ${formatUs(c.restartUs)}`);
  for (const strike of faults.strikes) lines.push(`  ${describeStrike(strike, span(strike.startUs, strike.endUs))}`);
  for (const j of faults.jumps) lines.push(`  clock jump n${j.node} +${j.jumpMs}ms at ${formatUs(j.atUs)}`);
  if (faults.spikes !== null) lines.push(`  delay spikes p=${faults.spikes.probability} up to ${formatUs(faults.spikes.maxUs)}`);
  if (faults.lossy !== null) {
    const l = faults.lossy;
    lines.push(`  lossy client links: drop=${l.dropP} duplicate-replies=${l.dupP} reorder=${l.reorderP} (+up to ${formatUs(l.reorderMaxUs)})`);
  }
  lines.push(`quiesce at ${formatUs(config.quiesceAtUs)}; settled from ${formatUs(config.settleAtUs)}; liveness bound ${formatUs(config.livenessBoundUs)} per operation`);
  return lines;
}

/** The whole deterministic report of a run. */
export function formatRun(run: SeedRun): string[] {
  const lines = formatConfig(run.config);
  const parts = OP_FUNCTIONS.map((f) => {
    const c = run.counts[f];
    return `${f} ${c.ok}/${c.fail}/${c.info}`;
  });
  const fc = run.finalCounts;
  lines.push(`ops (ok/fail/info): ${parts.join('  ')}  final-read ${fc.ok}/${fc.fail}/${fc.info}  total ${run.operations}`);
  if (run.queue !== null) {
    const q = run.queue;
    lines.push(`lists (ok/fail/info): lpush ${q.push.ok}/${q.push.fail}/${q.push.info}  rpop ${q.pop.ok}/${q.pop.fail}/${q.pop.info} (${q.popped} values)  drained ${q.drained}`);
  }
  const t = run.ttl;
  lines.push(`ttl: sets ${t.setsOk}/${t.sets} ok, reads ${t.reads}: present-as-required ${t.presentChecked}, absent-as-required ${t.absentChecked}, either-ok ${t.ambiguous}, not-judged ${t.skipped}`);
  const w = run.watch;
  if (w !== null) lines.push(`watch: n${w.node} prefix ${JSON.stringify(w.prefix)}: ${w.changes} changes checked, ${w.sessions} watches live (${w.resumes} resumed, ${w.resumesElsewhere} on another process, ${w.compacted} ended COMPACTED), ${w.connects} connections`);
  for (const n of run.nodes) {
    const s = n.stats;
    lines.push(`${n.name}: requests=${s.requests} ring-laps=${n.ringLaps} backlogged=${s.backlogged} backlog-peak=${s.backlogPeak} reply-ring-full=${s.replyRingFull} `
      + `sleeps=${s.workerSleeps} idle-wakes=${s.idleWakes} lost-wakeups=${s.lostWakeups} hiccups=${s.hiccups} sweeps=${s.sweeps} swept=${s.expiredBySweep} starts=${n.incarnations} clock-jumps=${n.clockJumps}`
      + `${run.config.cluster === null ? '' : ` recovered-tails=${s.recoveredTails} disk-damages=${s.diskDamages} repairs=${s.repairs} misdirected-writes=${s.misdirectedWrites} slow-fsyncs=${s.slowFsyncs} held-for-leader=${s.leaderWait.held} refused-after-wait=${s.leaderWait.refused}`}`);
  }
  const net = run.network;
  const ses = run.sessions;
  lines.push(`network: streams=${net.streamsOpened} messages=${net.streamMessages} stalls=${net.streamStalls} resets=${net.streamResets} `
    + `datagrams=${net.datagramsSent} dropped=${net.datagramsDropped} duplicated=${net.datagramsDuplicated} reordered=${net.datagramsReordered} blocked=${net.datagramsBlocked}`);
  lines.push(`clients: requests=${ses.requests} timeouts=${ses.timeouts} resets=${ses.resets} connects=${ses.connects} connect-failures=${ses.connectFailures} `
    + `keepalive-failures=${ses.keepaliveFailures} stale-replies=${ses.staleReplies} pipelined-peak=${ses.pipelinedPeak}`);
  const c = run.checker;
  const checker = c.verdict === 'skipped' ? `skipped (${c.reason})` : `${c.verdict} (${c.steps} steps)`;
  lines.push(`checker: ${checker}`);
  lines.push(`virtual time ${formatUs(run.virtualUs)}, ${run.events} events (${run.eventsDeferred} deferred by busy or paused threads)`);
  if (run.failures.length === 0) {
    lines.push('verdict: PASS (linearizable, no lost or corrupted values, expiry ok, live after quiesce)');
  } else {
    lines.push(`verdict: FAIL (exit ${run.exitCode})`);
    for (const f of run.failures) {
      lines.push(`  ${f.kind}: ${f.summary}`);
      for (const d of f.details) lines.push(`    ${d}`);
    }
    lines.push(`replay: ${replayCommand(run.config)}`);
  }
  lines.push(`trace: ${run.traceHash}`);
  return lines;
}
