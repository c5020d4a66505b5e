// The dashboard page's script (plain ES module, no build step). It opens the
// node's WebSocket (same origin), authenticates with the password the user
// typed when the node asks for one (close code 4401), subscribes to the
// status feed ({"op":"status"}: pushed every second) and renders it; the key
// browser pages through `scan` and asks `ttl` of each key shown; the watch
// section opens a watch ({"op":"watch"}, docs/watch.md) on the same socket
// and lists its changes, resuming with the last token after a reconnect.
/* global document, location, WebSocket, setTimeout, TextDecoder, atob */

/** Keys per page of the browser: one screen. */
const KEYS_PAGE_SIZE = 50;
/** Characters of a value shown in the key browser. */
const VALUE_PREVIEW_CHARS = 80;
/** Reconnect delays after a dropped connection: quick first, then at most every 5 s. */
const RECONNECT_DELAYS_MS = [250, 1000, 2000, 5000];
/** WebSocket close code of UNAUTHORIZED (docs/protocol.md). */
const CLOSE_UNAUTHORIZED = 4401;
const STATUS_ID = 'status';
/** Changes listed in the watch table; older ones drop off the bottom. */
const WATCH_ROWS_MAX = 200;

const $ = (id) => document.getElementById(id);
const state = { socket: null, password: null, nextId: 1, pending: new Map(), reconnects: 0, cursor: '', prefix: '' };
/**
 * The watch: prefix null when none; `resume` is the last token seen, for the
 * watch to go on after a reconnect. Each watch gets its own id, so frames of
 * one just stopped (its unwatch's answer) are told apart.
 */
const watch = { prefix: null, resume: null, id: null, count: 0 };

function setConnection(kind, text) {
  document.body.dataset.state = kind;
  $('connection').textContent = text;
}

function connect() {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`);
  state.socket = socket;
  setConnection('connecting', 'connecting…');
  socket.onopen = () => {
    if (state.password !== null) socket.send(JSON.stringify({ id: 'auth', op: 'auth', password: state.password }));
    socket.send(JSON.stringify({ id: STATUS_ID, op: 'status' }));
    if (watch.prefix !== null) sendWatch();
  };
  socket.onmessage = (event) => onFrame(JSON.parse(event.data));
  socket.onclose = (event) => {
    for (const { reject } of state.pending.values()) reject(new Error('connection closed'));
    state.pending.clear();
    if (state.socket !== socket) return;
    if (event.code === CLOSE_UNAUTHORIZED) {
      setConnection('unauthorized', state.password === null ? 'password required' : 'wrong password');
      $('login').hidden = false;
      state.password = null;
      return;
    }
    setConnection('closed', 'disconnected; retrying…');
    const delay = RECONNECT_DELAYS_MS[Math.min(state.reconnects++, RECONNECT_DELAYS_MS.length - 1)];
    setTimeout(connect, delay);
  };
}

function onFrame(frame) {
  if (frame.id === STATUS_ID && frame.status) {
    state.reconnects = 0;
    $('login').hidden = true;
    setConnection('live', 'live');
    return renderStatus(frame.status);
  }
  if (watch.id !== null && frame.id === watch.id) return onWatchFrame(frame);
  const waiting = state.pending.get(frame.id);
  if (!waiting) return;
  state.pending.delete(frame.id);
  if (frame.ok) waiting.resolve(frame);
  else waiting.reject(new Error(`${frame.error.code}: ${frame.error.message}`));
}

function request(op) {
  const id = state.nextId++;
  return new Promise((resolve, reject) => {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return reject(new Error('not connected'));
    state.pending.set(id, { resolve, reject });
    state.socket.send(JSON.stringify({ ...op, id }));
  });
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function bytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function renderStatus(status) {
  $('served-by').textContent = status.relayedBy === 'gateway' ? `via the gateway (numbers from node ${status.nodeId})` : `served by node ${status.nodeId}`;
  $('updated').textContent = `updated ${new Date(status.atMs).toLocaleTimeString()}`;
  document.body.dataset.updatedAt = String(status.atMs);

  const nodes = $('nodes').tBodies[0];
  nodes.replaceChildren(...status.nodes.map((n) => {
    const row = document.createElement('tr');
    row.dataset.nodeId = String(n.id);
    row.dataset.reachable = String(n.reachable);
    const v = n.view;
    cell(row, String(n.id));
    cell(row, n.http ?? '–');
    cell(row, n.linkUp ? 'up' : 'down', n.linkUp ? '' : 'down');
    cell(row, v ? String(v.opsPerSecond) : 'unreachable', v ? 'num ops' : 'down');
    cell(row, v && v.p99Ms !== null ? `${v.p99Beyond ? '>' : '≤'} ${v.p99Ms} ms` : '–', 'num');
    cell(row, v ? String(v.requestsTotal) : '–', 'num requests');
    cell(row, v ? String(v.keys) : '–', 'num keys');
    cell(row, v ? bytes(v.storeBytes) : '–', 'num');
    cell(row, v ? bytes(v.rssBytes) : '–', 'num');
    cell(row, v ? duration(v.uptimeMs) : '–', 'num');
    return row;
  }));

  const lone = status.nodes.length === 1 && status.groups.every((g) => g.term === null);
  const groups = $('groups').tBodies[0];
  groups.replaceChildren(...status.groups.map((g) => {
    const row = document.createElement('tr');
    row.dataset.group = String(g.group);
    row.dataset.leader = String(g.leader || 0);
    cell(row, String(g.group));
    cell(row, lone ? 'shard' : `${g.slots[0]}–${g.slots[1]}`);
    cell(row, g.leader ? `node ${g.leader}` : 'none', g.leader ? 'leader' : 'down');
    cell(row, g.term ?? '–', 'num');
    cell(row, g.commit ?? '–', 'num');
    cell(row, g.applied ?? '–', 'num');
    cell(row, g.replicas.map((r) => (r.unreachable ? `${r.node}: unreachable` : `${r.node}: ${r.role}, ${r.applied}, lag ${r.lag ?? '?'}`)).join(' · '));
    return row;
  }));

  const elections = $('elections');
  elections.replaceChildren(...status.elections.map((e) => {
    const li = document.createElement('li');
    li.textContent = `${new Date(e.atMs).toLocaleTimeString()}: group ${e.group} → node ${e.leader} (term ${e.term}; seen by ${e.seenBy.join(', ')})`;
    return li;
  }));
  if (status.elections.length === 0) {
    const li = document.createElement('li');
    li.textContent = lone ? 'a lone node holds no elections' : 'none seen since the nodes started';
    elections.appendChild(li);
  }
}

const decoder = new TextDecoder();
function base64Text(b64) {
  const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return { text: decoder.decode(raw), length: raw.length };
}

function keyField(item) {
  return item.key !== undefined ? { key: item.key } : { keyBase64: item.keyBase64 };
}

function preview(item) {
  if (item.value !== undefined) {
    return item.value.length > VALUE_PREVIEW_CHARS ? `${item.value.slice(0, VALUE_PREVIEW_CHARS)}…` : item.value;
  }
  if (item.valueBase64 !== undefined) return `(binary, ${base64Text(item.valueBase64).length} bytes)`;
  return '';
}

function ttlText(ms) {
  if (ms === -1) return 'none';
  if (ms === -2) return 'gone';
  return ms < 1000 ? `${ms} ms` : duration(ms);
}

async function browse(fromCursor) {
  const note = $('keys-note');
  const op = { op: 'scan', prefix: state.prefix, limit: KEYS_PAGE_SIZE, withValues: true };
  if (fromCursor) op.cursor = state.cursor;
  try {
    const page = await request(op);
    const items = page.scanItems ?? [];
    const ttls = await Promise.all(items.map((item) => request({ op: 'ttl', ...keyField(item) }).then((r) => Number(r.integer), () => null)));
    const body = $('keys').tBodies[0];
    body.replaceChildren(...items.map((item, i) => {
      const row = document.createElement('tr');
      const key = item.key ?? `(binary) ${item.keyBase64}`;
      row.dataset.key = key;
      cell(row, key);
      cell(row, preview(item), 'value');
      cell(row, String(item.version), 'num');
      cell(row, ttls[i] === null ? '?' : ttlText(ttls[i]), 'num');
      return row;
    }));
    state.cursor = page.cursor ?? '';
    $('next-page').disabled = state.cursor === '';
    note.textContent = `${items.length} key${items.length === 1 ? '' : 's'}${state.cursor ? ' (more on the next page)' : ''}`;
  } catch (error) {
    note.textContent = `browse failed: ${error.message}`;
  }
}

function sendWatch() {
  const frame = { id: watch.id, op: 'watch', prefix: watch.prefix };
  if (watch.resume !== null) frame.after = watch.resume;
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
}

function onWatchFrame(frame) {
  const note = $('watch-note');
  if (frame.change) {
    const c = frame.change;
    watch.resume = c.resume;
    const row = document.createElement('tr');
    row.dataset.key = c.key ?? `(binary) ${c.keyBase64}`;
    row.dataset.kind = c.kind;
    cell(row, new Date().toLocaleTimeString());
    cell(row, c.kind);
    cell(row, row.dataset.key);
    cell(row, c.kind === 'set' ? preview(c) : '', 'value');
    cell(row, String(c.version), 'num');
    const body = $('changes').tBodies[0];
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > WATCH_ROWS_MAX) body.deleteRow(body.rows.length - 1);
    return;
  }
  if (frame.ok) {
    watch.resume = frame.resume;
    document.body.dataset.watch = 'live';
    note.textContent = `watching “${watch.prefix}”: live`;
    return;
  }
  if (frame.error.code === 'COMPACTED') {
    // The node no longer holds what we missed: say so, and go on from now.
    note.textContent = `changes were missed (${frame.error.message}); watching from now`;
    watch.resume = null;
    return sendWatch();
  }
  stopWatch();
  note.textContent = `watch failed: ${frame.error.message}`;
}

function stopWatch() {
  if (watch.prefix !== null && state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify({ id: watch.id, op: 'unwatch' }));
  }
  watch.prefix = null;
  watch.id = null;
  watch.resume = null;
  document.body.dataset.watch = 'stopped';
  $('watch-stop').disabled = true;
  $('watch-note').textContent = 'stopped';
}

$('watch-form').addEventListener('submit', (event) => {
  event.preventDefault();
  stopWatch();
  watch.prefix = $('watch-prefix').value;
  watch.id = `watch-${++watch.count}`;
  $('changes').tBodies[0].replaceChildren();
  $('watch-stop').disabled = false;
  $('watch-note').textContent = `watching “${watch.prefix}”: starting…`;
  sendWatch();
});
$('watch-stop').addEventListener('click', () => stopWatch());
$('browse-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.prefix = $('prefix').value;
  state.cursor = '';
  void browse(false);
});
$('next-page').addEventListener('click', () => void browse(true));
$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.password = $('password').value;
  $('password').value = '';
  connect();
});

connect();
