/* 村声 field app: what the phone keeps (IndexedDB) and how it reaches the server (the JSON API).
 *
 * Stores: `meta` (the device's token and account, the bundle's lists, the last sync), `cases` (each
 * as the server last sent it), `questionnaires` (each definition by name@sha256, kept while an
 * interview uses it), `drafts` (an interview's on-screen values and answers, written at every tap)
 * and `outbox` (responses and case updates not yet acknowledged, in the order they were made).
 * Writes are `strict`-durability transactions; a connection the system closed (iOS under memory
 * pressure) is opened again. Sync sends a case's response before its updates, each with the id it got
 * when it was made, so a resend is harmless; 409 and 422 are kept on the case and never resent; a
 * network failure or a server error leaves everything queued for the next try. No rendering.
 */
(function () {
  "use strict";
  var NAME = "cunsheng-field", VERSION = 1, API = "/api/v1";
  var STORES = {meta: "key", cases: "id", questionnaires: "key", drafts: "case", outbox: "seq"};
  var connection = null, closedHandler = null;

  function connect() {
    if (connection) return Promise.resolve(connection);
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        Object.keys(STORES).forEach(function (name) {
          if (!request.result.objectStoreNames.contains(name)) {
            request.result.createObjectStore(name, {keyPath: STORES[name], autoIncrement: name === "outbox"});
          }
        });
      };
      request.onsuccess = function () {
        connection = request.result;
        connection.onversionchange = function () { connection.close(); connection = null; if (closedHandler) closedHandler(); };
        connection.onclose = function () { connection = null; };
        resolve(connection);
      };
      request.onerror = function () { reject(request.error); };
    });
  }

  /* Run `body(transaction)` in one transaction; resolves with its result (an IDBRequest's result). */
  function run(stores, mode, body) {
    function attempt() {
      return connect().then(function (db) {
        return new Promise(function (resolve, reject) {
          var t = db.transaction(stores, mode, {durability: "strict"}), out;
          t.oncomplete = function () { resolve(out && typeof out === "object" && "readyState" in out ? out.result : out); };
          t.onerror = t.onabort = function () { reject(t.error); };
          out = body(t);
        });
      });
    }
    return attempt().catch(function (error) {
      if (error && error.name === "InvalidStateError") { connection = null; return attempt(); }
      throw error;
    });
  }
  function get(store, key) { return run([store], "readonly", function (t) { return t.objectStore(store).get(key); }); }
  function all(store) { return run([store], "readonly", function (t) { return t.objectStore(store).getAll(); }); }
  function put(store, value) { return run([store], "readwrite", function (t) { t.objectStore(store).put(value); }); }
  function remove(store, key) { return run([store], "readwrite", function (t) { t.objectStore(store).delete(key); }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // --- the server ---------------------------------------------------------------------------------

  function Offline() { this.message = "没有网络，稍后会自动重试。"; }

  /* A JSON call: {status, body}; a network failure or a server error (5xx, 429, 408) rejects with
   * Offline (the caller retries later); every other answer is the server's word. */
  async function call(method, path, body, token) {
    var headers = {"Accept": "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    var response;
    try {
      response = await fetch(API + path, {method: method, headers: headers, cache: "no-store", credentials: "omit",
        body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) { throw new Offline(); }
    if (response.status >= 500 || response.status === 429 || response.status === 408) throw new Offline();
    var data = null;
    try { data = response.status === 204 ? null : await response.json(); } catch (e) { throw new Offline(); }
    return {status: response.status, body: data};
  }

  async function device() { return get("meta", "device"); }

  async function signIn(username, password, label) {
    var answer = await call("POST", "/field/devices", {username: username, password: password, label: label});
    if (answer.status !== 201) return answer.body || {message: "登录失败。"};
    await put("meta", {key: "device", token: answer.body.token, device_id: answer.body.device_id,
      staff: answer.body.staff, at: new Date().toISOString()});
    return null;
  }

  /* Log this device out: its token revoked on the server when reachable, forgotten here; nothing
   * unsent is deleted (the outbox keeps each item's account). */
  async function signOut() {
    var me = await device();
    if (!me) return;
    try { await call("DELETE", "/field/devices/current", undefined, me.token); } catch (e) { /* offline: forgotten here */ }
    await remove("meta", "device");
  }

  /* Store a downloaded bundle: its lists, the current definitions, the cases (local ones that left the
   * bundle stay while anything of theirs is unsent, open or rejected, or when we closed them). */
  async function keepBundle(bundle, me) {
    var drafts = await all("drafts"), outbox = await all("outbox"), cases = await all("cases");
    var busy = {}, inBundle = {}, current = {};
    drafts.forEach(function (d) { if (d.state !== "sent") busy[d.case] = true; });
    outbox.forEach(function (o) { busy[o.case] = true; });
    bundle.cases.forEach(function (c) { inBundle[c.id] = true; });
    Object.keys(bundle.questionnaires).forEach(function (name) {
      current[name] = name + "@" + bundle.questionnaires[name].sha256;
    });
    var used = {};
    drafts.forEach(function (d) { if (d.state === "open") used[d.def] = true; });
    var defs = await all("questionnaires");
    return run(["meta", "cases", "questionnaires"], "readwrite", function (t) {
      t.objectStore("meta").put({key: "bundle", user: me.staff.username, collector: bundle.collector,
        visit_results: bundle.visit_results, dispositions: bundle.dispositions, server_time: bundle.server_time,
        current: current, at: new Date().toISOString()});
      Object.keys(bundle.questionnaires).forEach(function (name) {
        t.objectStore("questionnaires").put({key: current[name], name: name, def: bundle.questionnaires[name]});
      });
      defs.forEach(function (d) {
        var keep = used[d.key] || Object.keys(current).some(function (n) { return current[n] === d.key; });
        if (!keep) t.objectStore("questionnaires").delete(d.key);
      });
      cases.forEach(function (c) {
        var ours = c.user === me.staff.username && (busy[c.id] || c.server.status === "closed");
        if (!inBundle[c.id] && !ours) t.objectStore("cases").delete(c.id);
      });
      bundle.cases.forEach(function (c) { t.objectStore("cases").put({id: c.id, user: me.staff.username, server: c}); });
    });
  }

  async function download() {
    var me = await device();
    if (!me) return {status: 401};
    var answer = await call("GET", "/field/bundle", undefined, me.token);
    if (answer.status === 200) await keepBundle(answer.body, me);
    return answer;
  }

  // --- the outbox ---------------------------------------------------------------------------------

  /* Queue a case update made now (its id fixed here: every resend is the same update). */
  function queueUpdate(user, caseId, fields) {
    var body = Object.assign({id: uuid(), "case": caseId}, fields);
    return run(["outbox"], "readwrite", function (t) {
      t.objectStore("outbox").add({kind: "update", user: user, "case": caseId, body: body, state: "queued",
        made: new Date().toISOString()});
    });
  }

  async function pending(user) {
    var items = await all("outbox");
    return items.filter(function (o) { return !user || o.user === user; });
  }

  function settle(item, status, problem) {
    return run(["outbox", "drafts"], "readwrite", function (t) {
      var store = t.objectStore("outbox");
      if (status === 200 || status === 201) {
        store.delete(item.seq);
        if (item.kind === "response") {  // acknowledged: the phone keeps no answers it does not need
          t.objectStore("drafts").put({"case": item.case, state: "sent", instance_id: item.body.instance_id});
        }
      } else {
        item.state = "rejected";
        item.status = status;
        item.problem = problem || {code: "unknown", message: "服务器退回了这条记录。"};
        item.at = new Date().toISOString();
        store.put(item);
      }
    });
  }

  async function sendResponses(me, items, tally) {
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var answer = await call("POST", "/surveys/" + encodeURIComponent(item.survey) + "/responses", item.body, me.token);
      if (answer.status === 401) throw answer;
      await settle(item, answer.status, answer.body);
      tally[answer.status < 300 ? "sent" : "rejected"] += 1;
    }
  }

  async function sendUpdates(me, items, tally) {
    for (var start = 0; start < items.length; start += 100) {
      var batch = items.slice(start, start + 100);
      var answer = await call("POST", "/field/sync", {updates: batch.map(function (o) { return o.body; })}, me.token);
      if (answer.status === 401) throw answer;
      var results = {};
      if (answer.status === 200) answer.body.results.forEach(function (r) { results[r.id] = r; });
      for (var i = 0; i < batch.length; i++) {
        var r = results[batch[i].body.id] || {status: answer.status, problem: answer.body};
        await settle(batch[i], r.status, r.problem);
        tally[r.status < 300 ? "sent" : "rejected"] += 1;
      }
      if (answer.status === 200) {
        await run(["cases"], "readwrite", function (t) {
          answer.body.cases.forEach(function (c) { t.objectStore("cases").put({id: c.id, user: me.staff.username, server: c}); });
        });
      }
    }
  }

  function isClose(o) { return o.kind === "update" && o.body.type === "close"; }

  /* One sync: queued visits and respondent selections (an interview needs its respondent), then
   * responses, then closings (a case's closing waits while its response is unsent), then a fresh
   * bundle. Resolves with a tally; never throws. */
  async function syncOnce() {
    var me = await device(), tally = {sent: 0, rejected: 0, left: 0, error: null, at: new Date().toISOString()};
    if (!me) { tally.error = "signed-out"; return tally; }
    try {
      var queued = (await pending(me.staff.username)).filter(function (o) { return o.state === "queued"; });
      await sendUpdates(me, queued.filter(function (o) { return o.kind === "update" && !isClose(o); }), tally);
      await sendResponses(me, queued.filter(function (o) { return o.kind === "response"; }), tally);
      await sendUpdates(me, queued.filter(isClose), tally);
      var fresh = await download();
      if (fresh.status === 401) throw fresh;
    } catch (e) {
      tally.error = e instanceof Offline ? "offline" : e && e.status === 401 ? "revoked" : String(e && e.message || e);
    }
    tally.left = (await pending(me.staff.username)).filter(function (o) { return o.state === "queued"; }).length;
    await put("meta", Object.assign({key: "sync"}, tally));
    return tally;
  }

  var running = null;
  /* Sync, one at a time: in this tab (a second call joins the running one) and across tabs (a lock). */
  function sync() {
    if (running) return running;
    var work = navigator.locks ? navigator.locks.request("cunsheng-field-sync", syncOnce) : syncOnce();
    running = work.then(function (tally) { running = null; return tally; }, function (error) { running = null; throw error; });
    return running;
  }

  window.CunshengStore = {run: run, get: get, all: all, put: put, remove: remove, uuid: uuid, device: device,
    signIn: signIn, signOut: signOut, download: download, queueUpdate: queueUpdate, pending: pending, sync: sync,
    onClosed: function (handler) { closedHandler = handler; }, Offline: Offline};
})();
