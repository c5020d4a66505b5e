// TLS on both sides of a gateway: a 3-node cluster serving HTTPS/WSS
// (`piccolo server --tls-cert`), a gateway dialling them with --node-tls
// (trusting their certificate through NODE_EXTRA_CA_CERTS) and serving
// HTTPS/WSS itself. Real processes on loopback; needs `npm run build`.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';
import { httpsRequest, makeCertificate, trustingWebSocket } from '../security/test-certificate.js';
import { groupOf, nodesArg, startGatewayProcess, stopEverything, TEST_GROUPS, type RunningGateway } from './gateway-process.js';

const dir = mkdtempSync(join(tmpdir(), 'piccolo-gw-tls-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
let cert: Buffer;
let cluster: TestCluster;
let gateway: RunningGateway;
const KEYS = Array.from({ length: 12 }, (_, i) => `tls-gw-${i}`);

beforeAll(async () => {
  makeCertificate(certFile, keyFile);
  cert = readFileSync(certFile);
  const tls = ['--tls-cert', certFile, '--tls-key', keyFile];
  cluster = await startCluster(3, ['--groups', String(TEST_GROUPS), '--workers', '1', ...tls]);
  await until(async () => {
    const view = JSON.parse((await httpsRequest(`https://127.0.0.1:${cluster.nodes[0]!.node.port}/v1/cluster`, cert)).body) as { groups: { leader: number }[] };
    return view.groups.every((g) => g.leader !== 0);
  }, 'every group to have a leader', 15_000);
  // The gateway process trusts the nodes' certificate as any Node process would trust a private CA.
  process.env.NODE_EXTRA_CA_CERTS = certFile;
  try {
    gateway = await startGatewayProcess(['--nodes', nodesArg(cluster), '--node-tls', ...tls]);
  } finally {
    delete process.env.NODE_EXTRA_CA_CERTS;
  }
}, 50_000);
afterAll(async () => {
  await stopEverything(gateway ? [gateway] : [], cluster);
  rmSync(dir, { recursive: true, force: true });
});

it('HTTPS and WSS through the gateway to TLS nodes', async () => {
  expect(gateway.output()).toContain('gateway listening on https://');
  const base = `https://127.0.0.1:${gateway.port}/v1/kv`;
  expect(new Set(KEYS.map(groupOf)).size).toBe(TEST_GROUPS);
  for (const key of KEYS) expect((await httpsRequest(`${base}/${key}`, cert, { method: 'PUT', body: `tls ${key}` })).status).toBe(200);
  expect(await httpsRequest(`${base}/${KEYS[0]}`, cert)).toEqual({ status: 200, body: `tls ${KEYS[0]}` });
  const kv = await connect(`wss://127.0.0.1:${gateway.port}/v1/ws`, { WebSocket: trustingWebSocket(cert) });
  try {
    const got = await kv.mget(KEYS);
    expect(got.map((e) => (e === null ? null : Buffer.from(e.value).toString()))).toEqual(KEYS.map((k) => `tls ${k}`));
  } finally {
    await kv.close();
  }
});
