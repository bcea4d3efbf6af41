/* wsgate inspector page. Every value from the server is put in the page as text (textContent,
 * createTextNode); nothing is parsed as HTML. Live updates come from /_wsgate/api/events (SSE). */
'use strict';

const state = {
  conns: new Map(),      /* id -> {id, sourceIp, userAgent, query, connectedAt, lastActiveAt, state, button} */
  entries: [],           /* every entry received, oldest first (bounded like the server's ring) */
  history: 1000,
  selected: '',          /* '' = global timeline */
  testControl: false,
  paused: false,         /* the view is frozen (and complete); live entries wait in `held` */
  held: [],
  shownTo: 0,            /* the newest seq the view holds (entries up to it are not added again) */
  skippedTo: 0,          /* the end of the last range wsgate thinned out of the live stream */
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'type' || k === 'hidden') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/* HH:MM:SS.mmm, local time (written out: toLocaleTimeString costs ~0.1 ms a call, most of a line's
 * drawing under load) */
function clock(ms) {
  const d = new Date(ms);
  const two = (n) => (n < 10 ? '0' : '') + n;
  return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds()) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function shortText(s, n) {
  if (typeof s !== 'string') return '';
  return s.length > n ? s.slice(0, n) + '…' : s;
}

function pretty(v) {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

/* ---- connections ------------------------------------------------------------------------- */

function connFor(id) {
  let c = state.conns.get(id);
  if (!c) {
    c = { id, state: 'open' };
    state.conns.set(id, c);
  }
  return c;
}

function renderConn(c) {
  const label = [el('span', { class: 'id' }, c.id), ' ',
    el('span', { class: 'state-' + c.state }, c.state),
    el('span', { class: 'meta' },
      (c.sourceIp || '') + (c.userAgent ? ' · ' + shortText(c.userAgent, 40) : '') +
      (c.query ? ' · ?' + shortText(c.query, 60) : '')),
    el('span', { class: 'meta' },
      (c.connectedAt ? 'connected ' + clock(c.connectedAt) : '') +
      (c.lastActiveAt ? ' · last active ' + clock(c.lastActiveAt) : ''))];
  if (!c.button) {
    c.button = el('button', { type: 'button', class: 'conn-button', 'data-conn': c.id, 'aria-pressed': 'false' });
    c.button.addEventListener('click', () => select(c.id));
    $('connections').appendChild(el('li', {}, c.button));
  }
  c.button.replaceChildren(...label);
  c.button.setAttribute('aria-pressed', String(state.selected === c.id));
}

function select(id) {
  state.selected = id;
  for (const b of document.querySelectorAll('.conn-button')) b.setAttribute('aria-pressed', String(b.dataset.conn === id));
  $('timeline-title').textContent = id ? 'Timeline: ' + id : 'Timeline: all connections';
  $('actions').hidden = !id;
  $('actions-conn').textContent = id;
  $('action-result').textContent = '';
  renderTimeline();
}

/* ---- the timeline ------------------------------------------------------------------------ */

function describe(e) {
  switch (e.kind) {
    case 'open': return { label: 'connect', text: 'connected from ' + (e.sourceIp || '?') + (e.query ? ' with query ?' + e.query : '') };
    case 'rejected': return { label: 'rejected', bad: true, text: 'handshake refused: ' + e.status + ' (' + (e.why || '') + ')' };
    case 'auth': return { label: 'authorizer', bad: !e.allowed, text: e.allowed ? 'allowed' : 'denied: ' + e.status + ' (' + (e.why || '') + ')' };
    case 'frame':
      if (e.control) return { label: e.control + (e.dir === 'in' ? ' →' : ' ←'), dir: e.dir,
        text: (e.dir === 'in' ? 'the client sent a ' + e.control : 'wsgate answered with a ' + e.control) + ' (' + e.len + ' bytes)' +
          (e.data !== undefined && e.data !== '' ? ': ' + e.data : e.dataHex ? ': 0x' + e.dataHex : '') };
      if (e.source === 'close') return { label: 'close ←', dir: 'out', text: 'wsgate sent close ' + e.code + (e.reason ? ' "' + e.reason + '"' : '') };
      if (e.dir === 'in') return { label: 'frame →', dir: 'in', text: (e.byInspector ? '(sent from this page) ' : '') + e.data };
      return { label: 'frame ←', dir: 'out', bad: e.source === 'errorFrame',
        text: '(' + e.source + (e.byInspector ? ', from this page' : '') + ') ' + e.data };
    case 'closed': return { label: 'closed', text: 'closed by ' + e.by + ': $disconnect gets ' + e.code + (e.reason ? ' "' + e.reason + '"' : '') +
        (e.by === 'client' ? ' (client sent ' + e.clientCode + (e.clientReason ? ' "' + e.clientReason + '"' : '') + ')' : '') };
    case 'call': return { label: 'event', text: e.routeKey + ' → ' + e.integration + (e.target ? ' ' + e.target : '') + '  [' + e.requestId + ']' };
    case 'answer': {
      const lat = e.latencyMs !== undefined ? ' in ' + e.latencyMs.toFixed(1) + ' ms' : '';
      if (e.outcome !== 'ok') return { label: 'answer', bad: true, text: e.routeKey + ': ' + e.outcome + ' (' + (e.error || '') + ')' + lat };
      const body = e.response && typeof e.response.body === 'string' ? ' ' + shortText(e.response.body, 200) : '';
      return { label: 'answer', bad: e.status >= 400, text: e.routeKey + ': ' + e.status + lat + body };
    }
    case 'mgmt': return { label: '@connections', bad: e.status >= 400,
      text: e.method + ' ' + (e.conn || '') + ' → ' + e.status + (e.errorType ? ' ' + e.errorType : '') +
        (e.latencyMs !== undefined ? ' (' + e.latencyMs.toFixed(1) + ' ms)' : '') };
    case 'function':
      if (e.what === 'start') return { label: 'λ start', text: e.function + ' invoked  [' + e.requestId + ']' +
        (e.eventRequestId ? ' for event ' + e.eventRequestId : '') };
      if (e.what === 'end') return { label: 'λ end', bad: !!e.text, text: e.function + ' finished in ' + e.durationMs.toFixed(2) + ' ms' + (e.text ? ' (' + e.text + ')' : '') };
      return { label: 'λ log', text: e.function + ': ' + e.text };
    case 'gap': return { label: 'gap', bad: true, text: 'entries ' + e.from + '–' + (e.to - 1) + ' were dropped before this page read them' };
    default: return { label: e.kind, text: '' };
  }
}

/* A line diff (longest common subsequence; canonical requests are a few dozen lines). */
function lineDiff(ours, theirs) {
  const a = ours.split('\n'), b = theirs.split('\n');
  const n = a.length, m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push(['same', '  ' + a[i]]); i++; j++; }
    else if (j < m && (i >= n || dp[i][j + 1] >= dp[i + 1][j])) { out.push(['theirs', '- ' + b[j]]); j++; }
    else { out.push(['ours', '+ ' + a[i]]); i++; }
  }
  return out;
}

function signatureView(sig) {
  const explain = el('p', { class: 'explain' });
  if (sig.canonicalRequest) {
    explain.textContent = 'wsgate recomputed the signature from the request it received and got a different one. ' +
      'Compare the canonical request below with the one your SDK signed (paste it from your SDK\'s debug log): ' +
      'a line that differs is the cause (a header changed on the way, a path encoded differently, another body). ' +
      'If they are identical, the secret key differs: wsgate used the secret it knows for ' + sig.accessKeyId + '.';
  } else {
    explain.textContent = 'Refused before any signature comparison: ' + sig.verdict + '. ' + (sig.message || '');
  }
  const ours = el('div', {},
    el('h3', {}, 'wsgate computed: canonical request'), el('pre', { class: 'canonical' }, sig.canonicalRequest || '(not reached)'),
    el('h3', {}, 'wsgate computed: string to sign'), el('pre', { class: 'sts' }, sig.stringToSign || '(not reached)'));
  const headers = (sig.headers || []).map(([k, v]) => k + ': ' + v).join('\n');
  const paste = el('textarea', { rows: 6, class: 'client-canonical', 'aria-label': 'Canonical request your SDK signed' });
  const diff = el('div', { class: 'diff', 'aria-live': 'polite' });
  const compare = el('button', { type: 'button', class: 'compare' }, 'Compare');
  compare.addEventListener('click', () => {
    const rows = lineDiff(sig.canonicalRequest || '', paste.value.replace(/\r\n/g, '\n').replace(/\n$/, ''));
    const differs = rows.some((r) => r[0] !== 'same');
    diff.replaceChildren(el('p', { class: 'verdict' }, differs
      ? 'The canonical requests differ (+ wsgate, − your SDK): that difference is why the signature was refused.'
      : 'The canonical requests are identical: the secret key (or the date, region or service in the scope) differs.'),
      ...rows.map(([cls, line]) => el('div', { class: cls }, line)));
  });
  const theirs = el('div', {},
    el('h3', {}, 'The client signed'),
    el('pre', { class: 'client' }, 'Credential key: ' + sig.accessKeyId + '\nRegion: ' + sig.region +
      '\nSignedHeaders: ' + (sig.signedHeaders || '') + '\nSignature: ' + (sig.clientSignature || '') +
      (sig.presigned ? '\n(presigned URL)' : '')),
    el('h3', {}, 'Headers wsgate received'), el('pre', {}, headers),
    el('label', {}, 'Your SDK\'s canonical request (optional, to diff)', paste), compare, diff);
  return el('div', { class: 'sig' }, explain, ours, theirs);
}

function entryActions(e) {
  if (e.kind !== 'call' || String(e.requestId).startsWith('replay-')) return null;
  const b = el('button', { type: 'button', class: 'replay' }, 'Replay this event to its integration');
  b.addEventListener('click', async () => {
    const r = await act('/_wsgate/api/replay', { seq: e.seq });
    b.after(el('span', { class: 'result' }, ' ' + r));
  });
  return el('p', {}, b);
}

/* What a line shows when opened: built on first opening (a line under load is never opened, and
 * its "Raw entry" alone is a pretty-printed copy of the whole entry). */
function entryBody(e) {
  const body = [];
  if (e.kind === 'mgmt' && e.signature) body.push(signatureView(e.signature));
  if (e.kind === 'call' && e.event) body.push(el('h3', {}, 'Event sent'), el('pre', { class: 'event' }, pretty(e.event)));
  if (e.kind === 'answer' && e.response) body.push(el('h3', {}, 'Backend answer (HTTP ' + e.response.status + ')'),
    el('pre', { class: 'response' }, typeof e.response.body === 'string' ? e.response.body : '(no body)'));
  if (e.kind === 'frame' && e.data !== undefined) body.push(el('pre', { class: 'data' }, e.data));
  if (e.kind === 'auth' && e.authorizer) body.push(el('pre', {}, pretty(e.authorizer)));
  const actions = entryActions(e);
  if (actions) body.push(actions);
  body.push(el('details', { class: 'raw' }, el('summary', {}, 'Raw entry'), el('pre', {}, JSON.stringify(e, null, 2))));
  return body;
}

function renderEntry(e) {
  const d = describe(e);
  const summary = el('summary', {},
    el('span', { class: 'time' }, clock(e.t)),
    el('span', { class: 'kind' }, d.label),
    e.conn && !state.selected ? el('span', { class: 'conn' }, e.conn) : null,
    el('span', { class: 'text summary' }, shortText(d.text, 2000)));
  const isOpen = e.kind === 'mgmt' && !!e.signature;
  const li = el('li', { class: 'entry kind-' + e.kind + (d.dir ? ' dir-' + d.dir : '') + (d.bad ? ' bad' : ''),
    'data-seq': String(e.seq), 'data-kind': e.kind, 'data-conn': e.conn || '' },
  el('details', { open: isOpen }, summary, ...(isOpen ? entryBody(e) : [])));
  if (!isOpen) entryOf.set(li, e);
  return li;
}

/* The entry of each line whose body is not built yet; one listener for the whole timeline builds it
 * when the line is opened ("toggle" does not bubble: it is caught on the way down). */
const entryOf = new WeakMap();

function onToggle(ev) {
  const details = ev.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open || !details.parentElement) return;
  const e = entryOf.get(details.parentElement);
  if (e === undefined) return;
  entryOf.delete(details.parentElement);
  details.append(...entryBody(e));
}

function visible(e) {
  return !state.selected || e.conn === state.selected;
}

function renderTimeline() {
  const list = $('timeline');
  list.replaceChildren(...state.entries.filter(visible).map(renderEntry));
  if ($('follow').checked && !state.paused) list.lastElementChild && list.lastElementChild.scrollIntoView({ block: 'end' });
}

/* Updates the connection `e` is about; returns it when its line needs redrawing (only what the
 * line shows: an entry that changes none of it, such as a push under load, redraws nothing). */
function apply(e) {
  if (e.conn && (e.kind === 'open' || state.conns.has(e.conn))) {
    const c = connFor(e.conn);
    const before = c.state + '|' + c.lastActiveAt + '|' + c.connectedAt;
    if (e.kind === 'open') Object.assign(c, { sourceIp: e.sourceIp, userAgent: e.userAgent, query: e.query, connectedAt: e.t, state: 'open' });
    if (e.kind === 'frame' && e.dir === 'in') c.lastActiveAt = e.t;
    if (e.kind === 'frame' && e.source === 'close' && c.state === 'open') c.state = 'closing';
    if (e.kind === 'closed') c.state = 'closed';
    const changed = !c.button || e.kind === 'open' || before !== c.state + '|' + c.lastActiveAt + '|' + c.connectedAt;
    return changed ? c : null;
  }
  return null;
}

/* Entries arrive in bursts under load: they are queued and drawn together (one DOM append, each
 * touched connection redrawn once, one scroll) at most every 100 ms; of a burst longer than the
 * history only the last `history` are drawn (the older ones would be trimmed at once). While wsgate
 * thins the stream the view is a sample anyway: it is drawn once a second and keeps its newest 200
 * lines (a browser's cost grows with both; Pause shows the whole history). While paused, entries wait
 * in state.held and nothing is drawn. */
let pending = [], drawTimer = 0;
const DRAW_MS = 100, DRAW_THINNED_MS = 1000, THINNED_LINES = 200;

function add(e) {
  if (state.paused) {
    state.held.push(e);
    if (state.held.length > 2 * state.history) state.held = state.held.slice(-state.history);
    updatePauseButton();
    return;
  }
  pending.push(e);
  if (pending.length > 2 * state.history) pending = pending.slice(-state.history);
  if (!drawTimer) drawTimer = setTimeout(drawPending, thinning.active ? DRAW_THINNED_MS : DRAW_MS);
}

function drawPending() {
  clearTimeout(drawTimer);
  drawTimer = 0;
  const batch = (pending.length > state.history ? pending.slice(-state.history) : pending).filter((e) => !(e.seq > 0 && e.seq <= state.shownTo));
  pending = [];
  const touched = new Set();
  for (const e of batch) {
    state.entries.push(e);
    if (e.seq > state.shownTo) state.shownTo = e.seq;
    const c = apply(e);
    if (c) touched.add(c);
  }
  if (state.entries.length > state.history) state.entries.splice(0, state.entries.length - state.history);
  for (const c of touched) renderConn(c);
  const shown = batch.filter(visible);
  if (shown.length === 0) return;
  const list = $('timeline');
  const frag = document.createDocumentFragment();
  for (const e of shown) frag.appendChild(renderEntry(e));
  list.appendChild(frag);
  const keep = thinning.active ? Math.min(THINNED_LINES, state.history) : state.history;
  if (list.children.length > keep) {
    const cut = document.createRange();
    cut.setStartBefore(list.firstElementChild);
    cut.setEndBefore(list.children[list.children.length - keep]);
    cut.deleteContents();
  }
  if ($('follow').checked) list.lastElementChild.scrollIntoView({ block: 'end' });
}

/* ---- thinning: wsgate sends a page at most a few hundred entries a second ------------------------
 * Over that it sends the newest and one "thinned" event a flush naming the seqs it skipped (they stay
 * in its ring). The page says so in one status line, with the rates of the last second; Pause fetches
 * the newest `history` entries from the ring, so the paused view has every entry, none skipped. */

const thinning = { active: false, shown: 0, skipped: 0, since: 0, lastAt: 0, timer: 0 };

function onThinned(t) {
  thinning.skipped += t.skipped;
  thinning.lastAt = Date.now();
  if (t.to > state.skippedTo) state.skippedTo = t.to;
  if (!thinning.active) {
    Object.assign(thinning, { active: true, shown: 0, skipped: t.skipped, since: Date.now() });
    $('thinned-rate').textContent = 'wsgate sends this page only the newest of the entries it records';
    $('thinned').hidden = false;
    thinning.timer = setInterval(updateThinned, 1000);
  }
}

/* Once a second: the rates since the last update, or the line goes 2 s after the last thinning. */
function updateThinned() {
  const now = Date.now();
  if (now - thinning.lastAt > 2000) {
    thinning.active = false;
    clearInterval(thinning.timer);
    $('thinned').hidden = true;
    return;
  }
  const per = (n) => Math.round(n * 1000 / Math.max(1, now - thinning.since)).toLocaleString('en-US');
  $('thinned-rate').textContent = 'showing ' + per(thinning.shown) + ' of ' + per(thinning.shown + thinning.skipped) + ' entries/s';
  Object.assign(thinning, { shown: 0, skipped: 0, since: now });
}

/* The newest `n` entries wsgate's ring holds, contiguous (asked again from where an answer stopped
 * when it reached its size cap). */
async function fetchNewest(n) {
  let doc = await (await fetch('/_wsgate/api/entries?last=' + n)).json();
  const got = doc.entries.slice(), end = doc.nextSeq;
  while (doc.to < end && doc.to > doc.from) {
    doc = await (await fetch('/_wsgate/api/entries?from=' + doc.to + '&to=' + end)).json();
    got.push(...doc.entries);
  }
  return got;
}

function updatePauseButton() {
  const b = $('pause-button');
  b.setAttribute('aria-pressed', String(state.paused));
  b.textContent = state.paused ? 'Resume' + (state.held.length ? ' (' + state.held.length + ' new)' : '') : 'Pause';
}

async function pause() {
  drawPending();
  state.paused = true;
  updatePauseButton();
  const note = $('pause-note');
  const first = state.entries.length ? state.entries[0].seq : state.shownTo + 1;
  if (state.skippedTo > first) {
    /* the view has holes: the newest `history` entries from the ring instead, every one */
    note.textContent = 'fetching the entries the live view skipped…';
    try {
      const got = await fetchNewest(state.history);
      /* the view's older entries stay only where they join the fetched ones without a hole */
      const older = [];
      let want = got.length ? got[0].seq - 1 : 0;
      for (let i = state.entries.length - 1; i >= 0 && older.length + got.length < state.history; i--) {
        const e = state.entries[i];
        if (e.seq > want) continue;
        if (e.seq !== want) break;
        older.unshift(e);
        want--;
      }
      const touched = new Set();
      for (const e of got) if (e.seq > state.shownTo) { const c = apply(e); if (c) touched.add(c); }
      for (const c of touched) renderConn(c);
      if (got.length) {
        state.entries = older.concat(got);
        state.shownTo = Math.max(state.shownTo, got[got.length - 1].seq);
      }
      state.held = state.held.filter((e) => !(e.seq > 0 && e.seq <= state.shownTo));
      updatePauseButton();
    } catch (err) {
      note.textContent = 'cannot fetch the skipped entries: ' + err;
      return;
    }
  }
  if (!state.paused) return;
  renderTimeline();
  const list = $('timeline');
  if ($('follow').checked && list.lastElementChild) list.lastElementChild.scrollIntoView({ block: 'end' });
  const n = state.entries.length;
  const seqs = state.entries.filter((e) => e.seq > 0);
  const missing = seqs.length ? seqs[seqs.length - 1].seq - seqs[0].seq + 1 - seqs.length : 0;
  note.textContent = !n ? 'Paused.' : 'Paused: entries ' + seqs[0].seq + '–' + seqs[seqs.length - 1].seq + (missing
    ? ', ' + missing + ' of them dropped from wsgate\'s history before this page could fetch them'
    : ', every one') + '.';
}

function resume() {
  state.paused = false;
  $('pause-note').textContent = '';
  const held = state.held;
  state.held = [];
  updatePauseButton();
  for (const e of held) add(e);
}

/* ---- actions ----------------------------------------------------------------------------- */

async function act(url, body) {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Wsgate-Inspector': '1' },
      body: JSON.stringify(body || {}) });
    const text = await res.text();
    let msg = text;
    try { const doc = JSON.parse(text); msg = doc.message || (doc.dir ? 'wrote ' + doc.files + ' fixture files to ' + doc.dir + ' — check them with: wsgate replay --backend URL ' + doc.dir : text); } catch (_) { /* not JSON */ }
    return res.status + ': ' + msg;
  } catch (err) {
    return 'failed: ' + err;
  }
}

function connUrl(action) {
  return '/_wsgate/api/connections/' + encodeURIComponent(state.selected) + '/' + action;
}

function report(text) {
  $('action-result').textContent = text;
}

function wireActions() {
  $('send-form').addEventListener('submit', async (ev) => { ev.preventDefault(); report(await act(connUrl('send'), { data: $('send-text').value })); });
  $('post-form').addEventListener('submit', async (ev) => { ev.preventDefault(); report(await act(connUrl('post'), { data: $('post-text').value })); });
  $('close-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    report(await act(connUrl('close'), { code: Number($('close-code').value), reason: $('close-reason').value }));
  });
  $('drop-button').addEventListener('click', async () => report(await act(connUrl('drop'))));
  $('export-button').addEventListener('click', async () => report(await act('/_wsgate/api/export', { connectionId: state.selected })));
  $('advance-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    report(await act('/_wsgate/test/advance', { seconds: Number($('advance-seconds').value), connectionId: state.selected }));
  });
  $('clear-button').addEventListener('click', () => { state.entries = []; renderTimeline(); });
  $('timeline').addEventListener('toggle', onToggle, true);
  $('pause-button').addEventListener('click', () => { if (state.paused) resume(); else pause(); });
  document.querySelector('.conn-button[data-conn=""]').addEventListener('click', () => select(''));
}

/* ---- start ------------------------------------------------------------------------------- */

async function start() {
  wireActions();
  try {
    const res = await fetch('/_wsgate/api/state');
    const s = await res.json();
    state.history = s.history || 1000;
    state.testControl = !!s.testControl;
    $('advance-form').hidden = !state.testControl;
    $('settings').textContent = 'stage ' + s.stage + ' · auth ' + s.auth + ' · keeps ' + state.history + ' entries · wsgate ' + s.version +
      (s.testControl ? ' · test control on' : '');
    for (const c of s.connections) {
      const conn = connFor(c.id);
      Object.assign(conn, c, { state: 'open' });
      renderConn(conn);
    }
  } catch (err) {
    $('status').textContent = 'cannot read the state: ' + err;
  }
  openStream();
  document.addEventListener('visibilitychange', onVisibility);
}

/* ---- the live stream, paused while the page is hidden ----------------------------------------
 * A hidden tab cannot show anything: it swaps its stream for a held one (?hold=1, which keeps wsgate
 * recording but sends nothing) and, when shown again, resumes after the last entry it read
 * (?since=SEQ): wsgate sends what its ring still holds, or a gap. */

let stream = null, held = null, lastSeq = 0;

function openStream() {
  const s = new EventSource('/_wsgate/api/events' + (lastSeq ? '?since=' + lastSeq : ''));
  s.onopen = () => {
    $('status').textContent = 'live'; $('status').className = 'live';
    if (held) { held.close(); held = null; }
  };
  s.onerror = () => { $('status').textContent = 'disconnected, retrying…'; $('status').className = 'down'; };
  s.onmessage = (m) => {
    try {
      const e = JSON.parse(m.data);
      if (e.seq <= lastSeq) return; /* already shown (a resume overlapping what the page has) */
      lastSeq = e.seq;
      if (thinning.active) thinning.shown++;
      add(e);
    } catch (_) { /* a malformed entry is skipped */ }
  };
  s.addEventListener('gap', (m) => { const g = JSON.parse(m.data); add({ kind: 'gap', seq: 0, t: Date.now(), from: g.from, to: g.to }); });
  s.addEventListener('thinned', (m) => { const t = JSON.parse(m.data); if (t.to - 1 > lastSeq) lastSeq = t.to - 1; onThinned(t); });
  stream = s;
}

function onVisibility() {
  if (document.hidden && stream) {
    held = new EventSource('/_wsgate/api/events?hold=1');
    const s = stream;
    stream = null;
    held.onopen = () => s.close(); /* a page stays subscribed throughout: wsgate keeps recording */
    held.onerror = () => s.close();
    $('status').textContent = 'paused while hidden'; $('status').className = 'paused';
  } else if (!document.hidden && !stream) {
    openStream();
  }
}

document.addEventListener('DOMContentLoaded', start);
