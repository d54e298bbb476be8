// The chat page: plain browser JavaScript, no build step. The wire format is described in
// src/chat-protocol.ts; the server is the only authority on who is in the room.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    state: $('state'),
    extensions: $('extensions'),
    server: $('server'),
    messages: $('messages'),
    users: $('users'),
    count: $('count'),
    joinForm: $('join-form'),
    name: $('name'),
    messageForm: $('message-form'),
    me: $('me'),
    text: $('text'),
    file: $('file'),
    leave: $('leave'),
    notice: $('notice'),
  };

  const ENDPOINT = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`;
  // Reconnect delays double from 0.5 s up to 15 s; each is drawn from [delay/2, delay] so that
  // clients dropped together by a restart do not all come back in the same instant.
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const MAX_LOG_ENTRIES = 500;

  let socket = null;
  let attempt = 0;
  let wasConnected = false;
  let myId = null;
  /** The name the user joined with: sent again after a reconnect. */
  let myName = null;
  let limits = { name: 32, text: 1048576, binary: 2097152, payload: 4194304 };
  const users = new Map();
  /** `binary` headers whose bytes are the next binary message. */
  const pendingBinary = [];
  let noticeTimer = null;

  function connect() {
    setState('connecting', attempt === 0 ? 'connecting…' : `reconnecting (attempt ${attempt + 1})…`);
    const ws = new WebSocket(ENDPOINT);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('open', 'connected');
      ui.extensions.textContent = ws.extensions || 'none';
      if (wasConnected) logNotice('Reconnected.', 'system');
      wasConnected = true;
    };
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') onEvent(JSON.parse(event.data));
      else onBinary(event.data);
    };
    ws.onclose = (event) => onClose(ws, event);
  }

  function onClose(ws, event) {
    if (socket !== ws) return;
    socket = null;
    users.clear();
    pendingBinary.length = 0;
    renderUsers();
    showJoined(false);
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    const wait = delay / 2 + (Math.random() * delay) / 2;
    attempt += 1;
    if (attempt === 1) {
      const why = event.reason ? `${event.code} ${event.reason}` : String(event.code);
      logNotice(`Connection lost (${why}). Reconnecting…`, 'system');
    }
    setState('offline', `offline, retrying in ${(wait / 1000).toFixed(1)} s`);
    setTimeout(connect, wait);
  }

  function onEvent(event) {
    switch (event.type) {
      case 'welcome':
        myId = event.id;
        limits = event.limits;
        ui.server.textContent = `${event.server.name} (pid ${event.server.pid})`;
        ui.name.maxLength = limits.name;
        users.clear();
        for (const user of event.users) users.set(user.id, user);
        renderUsers();
        if (myName !== null) send({ type: 'join', name: myName });
        break;
      case 'join':
        users.set(event.user.id, event.user);
        renderUsers();
        logNotice(`${event.user.name} joined`, 'join');
        if (event.user.id === myId) showJoined(true, event.user.name);
        break;
      case 'leave':
        users.delete(event.user.id);
        renderUsers();
        logNotice(`${event.user.name} left`, 'leave');
        if (event.user.id === myId) showJoined(false);
        break;
      case 'message':
        logMessage(event);
        break;
      case 'binary':
        pendingBinary.push(event);
        break;
      case 'error':
        if (event.code === 'invalid-name' || event.code === 'already-joined') myName = null;
        showNotice(event.message);
        break;
    }
  }

  function onBinary(buffer) {
    const header = pendingBinary.shift();
    if (header === undefined) return;
    const bytes = new Uint8Array(buffer);
    const item = entry('binary', header.user, header.at);
    const body = document.createElement('div');
    body.className = 'text';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes]));
    link.download = `from-${header.user.name}-${header.seq}.bin`;
    link.textContent = `${formatBytes(bytes.length)} of binary data`;
    item.dataset.size = String(bytes.length);
    item.dataset.blob = link.href;
    const preview = document.createElement('code');
    preview.textContent = hex(bytes.subarray(0, 12)) + (bytes.length > 12 ? ' …' : '');
    body.append(link, ' ', preview);
    item.append(body);
    append(item);
    // crypto.subtle exists in secure contexts only (https, or http on localhost / 127.0.0.1).
    if (globalThis.crypto && crypto.subtle) {
      crypto.subtle.digest('SHA-256', bytes).then((digest) => {
        item.dataset.sha256 = hex(new Uint8Array(digest), '');
        const sum = document.createElement('small');
        sum.className = 'digest';
        sum.textContent = `sha-256 ${item.dataset.sha256.slice(0, 16)}…`;
        body.append(' ', sum);
      });
    }
  }

  // Sending

  /** Sends a string or ArrayBuffer as is, anything else as JSON. */
  function send(message) {
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      showNotice('Not connected: wait for the reconnect.');
      return false;
    }
    const raw = typeof message === 'string' || message instanceof ArrayBuffer;
    socket.send(raw ? message : JSON.stringify(message));
    return true;
  }

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = ui.name.value.trim();
    if (name === '') return;
    myName = name;
    send({ type: 'join', name });
  });

  ui.messageForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.text.value;
    if (text.trim() === '') return;
    if (text.length > limits.text) return showNotice(`Messages are at most ${limits.text} characters.`);
    const json = JSON.stringify({ type: 'message', text });
    if (new TextEncoder().encode(json).length > limits.payload) return showNotice('That message is too large.');
    if (send(json)) ui.text.value = '';
  });

  ui.file.addEventListener('change', async () => {
    const file = ui.file.files[0];
    ui.file.value = '';
    if (file === undefined) return;
    if (file.size > limits.binary) return showNotice(`Files are at most ${formatBytes(limits.binary)}.`);
    send(await file.arrayBuffer());
  });

  ui.leave.addEventListener('click', () => {
    myName = null;
    send({ type: 'leave' });
  });

  // Rendering

  function setState(state, label) {
    ui.state.dataset.state = state;
    ui.state.textContent = label;
    if (state !== 'open') {
      ui.extensions.textContent = 'none';
      ui.server.textContent = 'none';
    }
  }

  function showJoined(joined, name) {
    ui.joinForm.hidden = joined;
    ui.messageForm.hidden = !joined;
    if (joined) {
      ui.me.textContent = name;
      ui.text.focus();
    } else if (myName !== null) {
      ui.name.value = myName;
    }
  }

  function showNotice(text) {
    ui.notice.textContent = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (ui.notice.textContent = ''), 5000);
  }

  function renderUsers() {
    ui.users.replaceChildren(
      ...[...users.values()].map((user) => {
        const li = document.createElement('li');
        li.dataset.id = String(user.id);
        li.textContent = user.name;
        if (user.id === myId) {
          li.className = 'self';
          li.title = 'you';
        }
        return li;
      }),
    );
    ui.count.textContent = String(users.size);
  }

  function entry(kind, user, at) {
    const li = document.createElement('li');
    li.className = kind + (user && user.id === myId ? ' mine' : '');
    if (user) {
      const meta = document.createElement('div');
      meta.className = 'meta';
      const name = document.createElement('span');
      name.className = 'author';
      name.textContent = user.name;
      const time = document.createElement('time');
      time.textContent = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      meta.append(name, ' ', time);
      li.append(meta);
    }
    return li;
  }

  function logMessage(event) {
    const li = entry('message', event.user, event.at);
    const text = document.createElement('div');
    text.className = 'text';
    text.textContent = event.text;
    li.append(text);
    append(li);
  }

  function logNotice(text, kind) {
    const li = document.createElement('li');
    li.className = `notice ${kind}`;
    li.textContent = text;
    append(li);
  }

  function append(li) {
    const log = ui.messages.parentElement;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    ui.messages.append(li);
    while (ui.messages.childElementCount > MAX_LOG_ENTRIES) {
      const old = ui.messages.firstElementChild;
      if (old.dataset.blob) URL.revokeObjectURL(old.dataset.blob);
      old.remove();
    }
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function hex(bytes, separator = ' ') {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(separator);
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  connect();
})();
