/* 村声 field app: the collector's screens offline — sign-in, the case list, a case (respondent,
 * visits, interview, closing), the interview's pages, the sync result — and the always-visible
 * outbox count, the warnings (WeChat, storage not persistent, unsent items before log-out or an
 * update) and the service worker's update. One case is open in one tab only (a Web Lock, or a
 * heartbeat where locks are missing). Storage and sync: store.js; pages: form.js; skip logic,
 * checks and page flow: engine.js. Everything the collector types is saved as it is typed.
 */
(function () {
  "use strict";
  var S = window.CunshengStore, F = window.CunshengForm, E = window.CunshengEngine, esc = F.esc;
  var main = document.getElementById("main"), counter = document.getElementById("unsent");
  var app = {me: null, bundle: null, held: null, holding: null, release: null, errors: null, waiting: null, retry: 0,
    timer: null};
  var TAB = S.uuid();

  // --- small helpers ------------------------------------------------------------------------------

  /* The route now shown ("" the list, "case/3", "case/3/q", "sync", …). */
  function here() { return location.hash.replace(/^#\/?/, ""); }
  /* Draw a view, unless the collector has gone elsewhere meanwhile (views read storage first): `at` is
   * the route the view belongs to (null: any). */
  function show(html, at) {
    if (at !== null && here() !== at) return false;
    main.innerHTML = html;
    window.scrollTo(0, 0);
    return true;
  }
  function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
  function when(iso) {
    var d = new Date(iso), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function banner(id, html) {
    var box = document.getElementById("banners"), old = document.getElementById("b-" + id);
    if (old) old.parentNode.removeChild(old);
    if (!html) return;
    var div = document.createElement("div");
    div.id = "b-" + id;
    div.className = "banner";
    div.innerHTML = html;
    box.appendChild(div);
  }
  /* An in-page question (no window.confirm: it blocks and some in-app browsers hide it). */
  function ask(text, yes, no) {
    return new Promise(function (resolve) {
      var div = document.createElement("div");
      div.className = "ask";
      div.setAttribute("role", "alertdialog");
      div.innerHTML = "<p>" + esc(text) + "</p><div class=\"nav\"><button class=\"primary\" data-answer=\"1\">" +
        esc(yes) + "</button><button data-answer=\"0\">" + esc(no) + "</button></div>";
      div.addEventListener("click", function (event) {
        var answer = event.target.getAttribute("data-answer");
        if (answer === null) return;
        document.body.removeChild(div);
        resolve(answer === "1");
      });
      document.body.appendChild(div);
      div.querySelector("button").focus();
    });
  }

  async function counts() {
    var items = app.me ? await S.pending(app.me.staff.username) : [];
    return {queued: items.filter(function (o) { return o.state === "queued"; }).length,
      rejected: items.filter(function (o) { return o.state === "rejected"; }).length};
  }
  async function refreshCounter() {
    var n = await counts();
    counter.textContent = "未上传 " + n.queued + (n.rejected ? " · 退回 " + n.rejected : "");
    counter.className = "unsent" + (n.queued ? " waiting" : "") + (n.rejected ? " rejected" : "");
    return n;
  }

  // --- one case, one tab --------------------------------------------------------------------------

  function holdByHeartbeat(id) {
    var key = "cunsheng-field-case-" + id, seen = null;
    try { seen = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { seen = null; }
    if (seen && seen.tab !== TAB && Date.now() - seen.at < 6000) return Promise.resolve(false);
    var beat = function () { localStorage.setItem(key, JSON.stringify({tab: TAB, at: Date.now()})); };
    beat();
    var timer = setInterval(beat, 2000);
    app.release = function () { clearInterval(timer); localStorage.removeItem(key); };
    return Promise.resolve(true);
  }
  function holdCase(id) {
    if (app.held === id) return Promise.resolve(true);
    if (app.holding && app.holding.id === id) return app.holding.promise;  // two views of the case in a row
    letGo();
    var held = navigator.locks ? new Promise(function (resolve) {
      navigator.locks.request("cunsheng-field-case-" + id, {ifAvailable: true}, function (lock) {
        if (!lock) { resolve(false); return null; }
        resolve(true);
        return new Promise(function (release) { app.release = release; });
      });
    }) : holdByHeartbeat(id);
    var promise = held.then(function (ok) {
      app.holding = null;
      if (ok) app.held = id;
      if (ok && here().split("/")[1] !== String(id)) letGo();  // she left the case while the lock was coming
      return ok;
    });
    app.holding = {id: id, promise: promise};
    return promise;
  }
  function letGo() {
    if (app.release) app.release();
    app.release = null;
    app.held = null;
  }

  // --- what a case looks like now: the server's copy with what is still queued on top -----------

  function caseNow(record, items, draft) {
    var c = JSON.parse(JSON.stringify(record.server)), mine = items.filter(function (o) { return o.case === c.id; });
    c.visits = c.visits.map(function (v) { v.sent = true; return v; });
    c.rejected = mine.filter(function (o) { return o.state === "rejected"; });
    c.queued = mine.filter(function (o) { return o.state === "queued"; }).length;
    mine.filter(function (o) { return o.state === "queued" && o.kind === "update"; }).forEach(function (o) {
      var u = o.body;
      if (u.type === "visit") c.visits.push({at: u.at, result: u.result, sent: false});
      if (u.type === "respondent") { c.eligible = u.eligible; c.line = u.line; }
      if (u.type === "close") { c.status = "closed"; c.disposition = u.disposition; c.closedHere = true; }
    });
    c.draft = draft || null;
    c.interviewed = !!(c.response || (draft && draft.state !== "open"));
    return c;
  }
  async function loadCase(id) {
    var record = await S.get("cases", id);
    if (!record) return null;
    return caseNow(record, await S.pending(app.me.staff.username), await S.get("drafts", id));
  }
  function title(c) {
    return esc((c.village && c.village.name) || "") + " · " + (c.number ? esc(c.number) + " 号户" : "练习个案");
  }
  function stateOf(c) {
    var d = app.bundle ? app.bundle.dispositions : [], label = "";
    d.forEach(function (x) { if (x.code === c.disposition) label = x.label; });
    if (c.status === "closed") return "已结案 " + esc(c.disposition) + " " + esc(label) + (c.closedHere ? "（未上传）" : "");
    if (c.draft && c.draft.state === "open") return "访问中（答案已保存在本机）";
    if (c.interviewed) return "问卷已完成" + (c.draft && c.draft.state === "finished" ? "（未上传）" : "");
    return c.eligible ? "已选受访者" : "待访问";
  }
  function surveyTitle(name) {
    var key = app.bundle && app.bundle.current[name];
    return app.defs && app.defs[key] ? app.defs[key].title : name;
  }

  // --- sign-in and the case list ------------------------------------------------------------------

  async function loginView(note) {
    var others = (await S.pending()).filter(function (o) { return o.state === "queued"; });
    show("<h1>儿童主任登录</h1>" + (note ? "<p class=\"error\" role=\"alert\">" + esc(note) + "</p>" : "") +
      "<p class=\"muted\">需要联网登录一次。登录后下载分配给您的个案和问卷，之后没有信号也能入户访问，有网时自动上传。</p>" +
      (others.length ? "<p class=\"weighting-note\">本机还有 " + others.length + " 项其他账号未上传的记录，会一直保留，原账号登录后自动上传。</p>" : "") +
      "<form id=\"login\"><label class=\"field\" for=\"username\">用户名</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>" +
      "<label class=\"field\" for=\"password\">密码</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>" +
      "<button class=\"primary\" type=\"submit\">登录</button></form>", null);
  }
  async function login(form) {
    var button = form.querySelector("button");
    button.disabled = true;
    var label = "入户调查应用 " + new Date().toISOString().slice(0, 10);
    try {
      var problem = await S.signIn(form.username.value.trim(), form.password.value, label);
      if (problem) { loginView(problem.message); return; }
    } catch (e) {
      loginView(e instanceof S.Offline ? "没有连上服务器：登录需要联网，请在有信号的地方再试。" : String(e));
      return;
    }
    app.me = await S.device();
    show("<p class=\"muted\">正在下载个案和问卷…</p>", null);
    try { await S.download(); } catch (e) { /* offline right after signing in: the next sync downloads */ }
    await loadBundle();
    go("#/");
    sync();
  }
  async function loadBundle() {
    app.bundle = (await S.get("meta", "bundle")) || null;
    app.defs = {};
    (await S.all("questionnaires")).forEach(function (q) { app.defs[q.key] = q.def; });
  }

  async function listView() {
    var records = (await S.all("cases")).filter(function (r) { return r.user === app.me.staff.username; });
    var items = await S.pending(app.me.staff.username), drafts = {};
    (await S.all("drafts")).forEach(function (d) { drafts[d.case] = d; });
    var list = records.map(function (r) { return caseNow(r, items, drafts[r.id]); });
    var open = list.filter(function (c) { return c.status !== "closed"; }), last = await S.get("meta", "sync");
    var n = await refreshCounter(), who = app.me.staff.display_name || app.me.staff.username;
    show("<h1>我的个案</h1><p class=\"muted\">" + esc(who) + " · " + open.length + " 个未结案" +
      (app.bundle ? " · 个案下载于 " + when(app.bundle.at) : "") + "</p>" + syncLine(last, n) +
      (list.length ? "<ul class=\"cases\">" + list.map(function (c) {
        return "<li class=\"case-item " + (c.status === "closed" ? "closed" : "open") + "\"><a href=\"#/case/" + c.id + "\">" +
          "<strong>" + title(c) + "</strong><span>" + esc(surveyTitle(c.survey)) + (c.replaces ? " · 替换户" : "") + "</span>" +
          "<span class=\"case-state\">" + stateOf(c) + "</span>" +
          (c.queued ? "<span class=\"badge\">未上传 " + c.queued + " 项</span>" : "") +
          (c.rejected.length ? "<span class=\"badge bad\">被退回 " + c.rejected.length + " 项</span>" : "") + "</a></li>";
      }).join("") + "</ul>" : "<p>还没有分配给您的个案。样本村的住户清单上传后，样本户会分配给本村儿童主任；联网后点“同步”下载。</p>") +
      "<div class=\"nav\"><button data-do=\"logout\">退出登录</button></div>", "") && letGo();
  }
  function syncLine(last, n) {
    if (!last) return "<p class=\"sync-line muted\">还没有同步过。</p>";
    var why = {offline: "没有连上服务器，稍后自动重试", revoked: "本设备的登录已失效，请重新登录"}[last.error] || last.error;
    return "<p class=\"sync-line muted\">上次同步 " + when(last.at) + "：上传 " + last.sent + " 项" +
      (last.rejected ? "，退回 " + last.rejected + " 项" : "") + (why ? "（" + esc(why) + "）" : "") +
      (n.queued ? "；还有 " + n.queued + " 项未上传" : "；全部已上传") + "</p>";
  }

  async function logout() {
    var n = await counts();
    if (n.queued && !(await ask("还有 " + n.queued + " 项没有上传。退出后它们仍保存在本机，您再次登录后会自动上传；" +
      "但清除浏览器数据会让它们丢失。建议先联网同步再退出。确定现在退出吗？", "仍然退出", "先不退出"))) return;
    await S.signOut();
    app.me = null;
    letGo();
    loginView();
    refreshCounter();
  }

  // --- a case -------------------------------------------------------------------------------------

  function lockedView(at) {
    show("<h1 class=\"locked\">这个个案已在另一个标签页中打开</h1><p>为避免同一户记录两次，同一个个案只能在一个标签页中操作。" +
      "请回到那个标签页继续，或者关闭它后点“重试”。</p><div class=\"nav\"><button class=\"primary\" data-do=\"retry\">重试</button>" +
      "<a class=\"button\" href=\"#/\">返回个案列表</a></div>", at);
  }

  function kishLine(c, eligible) {
    var lines = c.kish && c.kish.lines;
    if (!lines || !eligible) return null;
    return lines[Math.min(eligible, lines.length) - 1];
  }

  function respondentPart(c) {
    var kish = c.respondent_rule === "kish";
    var rule = kish ? "Kish 选择表" : "下一个过生日的人";
    var out = "<h2>1. 户内选人（" + rule + "）</h2>";
    if (c.eligible) {
      out += "<p>合格成员 " + esc(c.eligible) + " 人" + (kish && c.kish && c.kish.table ? "，Kish 选择表 " + esc(c.kish.table) : "") +
        "：请访问按规定顺序排在第 <strong class=\"selected-line\">" + esc(c.line) + "</strong> 位的成员。</p>";
    } else if (c.eligible === 0) {
      out += "<p>本户没有合格成员：请以 4.70（无合格受访者）结案。</p>";
    }
    if (!c.interviewed && !(c.draft && c.draft.state === "open")) {
      out += "<form data-form=\"respondent\" class=\"filters\"><label>合格成员人数 <input name=\"eligible\" inputmode=\"numeric\" size=\"3\" value=\"" +
        (c.eligible != null ? esc(c.eligible) : "") + "\" required></label>" +
        (kish ? "" : "<label>下一个过生日的成员序号 <input name=\"line\" inputmode=\"numeric\" size=\"3\"></label>") +
        "<button type=\"submit\">确定受访者</button></form>";
    }
    return out + "<p class=\"note\">" + (kish ? "把合格成员按先男后女、各自从年长到年幼排列编号，本户的 Kish 选择表给出受访者的序号。" :
      "把合格成员编号，询问谁的生日离今天最近（下一个过生日），填写其序号。") + "</p>";
  }

  function interviewPart(c) {
    var out = "<h2>2. 访问</h2>";
    if (c.interviewed) return out + "<p>问卷已完成" + (c.response ? "并已上传" : "，联网后自动上传") + "。</p>";
    if (c.draft && c.draft.state === "open") return out + "<button class=\"primary\" data-do=\"interview\">继续访问（答案已保存）</button>";
    if (!c.eligible) return out + "<p>先确定受访者，再开始访问。</p>";
    return out + "<button class=\"primary\" data-do=\"interview\">开始访问（打开问卷）</button>";
  }

  function closePart(c) {
    var results = app.bundle.visit_results, dispositions = app.bundle.dispositions.filter(function (d) { return d.closes; });
    return "<h2>3. 记录本次上门</h2><form data-form=\"visit\" class=\"filters\"><label>本次结果 <select name=\"result\">" +
      Object.keys(results).map(function (k) { return "<option value=\"" + esc(k) + "\">" + esc(results[k]) + "</option>"; }).join("") +
      "</select></label><button type=\"submit\">记录</button></form>" +
      "<h2>4. 结案</h2><form data-form=\"close\" class=\"filters\"><label>最终结果（AAPOR 代码） <select name=\"disposition\"><option value=\"\">请选择</option>" +
      dispositions.map(function (d) {
        return "<option value=\"" + esc(d.code) + "\"" + (c.interviewed && d.code === "1.1" ? " selected" : "") + ">" +
          esc(d.code) + " " + esc(d.label) + "</option>";
      }).join("") + "</select></label><button type=\"submit\">结案</button></form>";
  }

  function rejectedPart(c) {
    if (!c.rejected.length) return "";
    return "<div class=\"rejected\" role=\"alert\"><p><strong>服务器退回了 " + c.rejected.length + " 项记录</strong>（已保留在本机，督导员也能看到）：</p><ul>" +
      c.rejected.map(function (o) {
        var what = o.kind === "response" ? "问卷" : {visit: "上门记录", respondent: "户内选人", close: "结案"}[o.body.type];
        return "<li class=\"rejected-item\" data-status=\"" + esc(o.status) + "\">" + esc(what) + "（" + esc(o.status) + "）：" +
          esc(o.problem.message) + " <code>" + esc(o.problem.code) + "</code></li>";
      }).join("") + "</ul></div>";
  }

  async function caseView(id, problem) {
    if (!(await holdCase(id))) { lockedView("case/" + id); return; }
    var c = await loadCase(id);
    if (!c) { go("#/"); return; }
    var working = c.status !== "closed" && c.wave.status === "fieldwork";
    var review = c.review && c.review.comments && c.review.comments.length ? "<div class=\"weighting-note\"><p>审核退回意见：</p><ul>" +
      c.review.comments.map(function (k) { return "<li><code>" + esc(k.question) + "</code>：" + esc(k.text) + "</li>"; }).join("") +
      "</ul><p>退回的答卷请联网后在控制台的个案页面修改。</p></div>" : "";
    show("<p class=\"crumbs\" data-case-view=\"" + id + "\"><a href=\"#/\">个案</a> › " + title(c) + "</p><h1>" + title(c) + "</h1>" +
      "<ul class=\"case-facts\"><li>位置：<strong>" + esc(c.locator || "—") + "</strong></li><li>问卷：" + esc(surveyTitle(c.survey)) +
      "（" + esc(c.wave.name) + "）</li><li>状态：<strong class=\"case-status\">" + stateOf(c) + "</strong></li></ul>" +
      review + rejectedPart(c) + (problem ? "<p class=\"error\" role=\"alert\">" + esc(problem) + "</p>" : "") +
      (working ? respondentPart(c) + interviewPart(c) + closePart(c) : "") +
      "<h2>上门记录（" + c.visits.length + "）</h2>" + (c.visits.length ? "<ol class=\"visits\">" + c.visits.map(function (v) {
        return "<li>" + when(v.at) + " · " + esc(app.bundle.visit_results[v.result] || v.result) + (v.sent ? "" : "（未上传）") + "</li>";
      }).join("") + "</ol>" : "<p>还没有上门记录。</p>"), "case/" + id);
  }

  async function caseAction(id, kind, form) {
    var c = await loadCase(id), user = app.me.staff.username, now = new Date().toISOString();
    if (kind === "visit") {
      await S.queueUpdate(user, id, {type: "visit", at: now, result: form.result.value});
    } else if (kind === "respondent") {
      var eligible = form.eligible.value.trim(), n = /^\d{1,2}$/.test(eligible) ? parseInt(eligible, 10) : -1;
      if (n < 0 || n > 30) return caseView(id, "合格成员人数应为 0 到 30 之间的整数。");
      var line = n === 0 ? null : c.respondent_rule === "kish" ? kishLine(c, n) : parseInt((form.line.value || "").trim(), 10);
      if (n && !(line >= 1 && line <= n)) return caseView(id, "受访者序号应在 1 到 " + n + " 之间。");
      await S.queueUpdate(user, id, {type: "respondent", eligible: n, line: line});
    } else if (kind === "close") {
      var code = form.disposition.value, rule = app.bundle.dispositions.filter(function (d) { return d.code === code; })[0];
      if (!rule) return caseView(id, "请选择最终结果（AAPOR 代码）。");
      if (rule.needs_response && !c.interviewed) return caseView(id, "“" + rule.label + "”需要先完成问卷。");
      if (c.draft && c.draft.state === "open" && !(await ask("这一户的问卷还没有填完。结案后不能再继续访问，确定结案吗？", "结案", "取消"))) return;
      await S.queueUpdate(user, id, {type: "close", at: now, disposition: code});
    }
    await refreshCounter();
    await caseView(id);
    sync();
  }

  // --- the interview ------------------------------------------------------------------------------

  function defOf(draft) { return app.defs[draft.def]; }

  async function startInterview(id) {
    var c = await loadCase(id), draft = c.draft;
    if (!draft || draft.state !== "open") {
      var key = app.bundle.current[c.survey], def = app.defs[key], first = E.firstPage(def, {});
      draft = {"case": id, state: "open", def: key, survey: c.survey, version: c.version, village: c.village.code,
        instance_id: c.instance_id, form: {}, answers: {}, trail: [first.page], started_at: new Date().toISOString()};
      await S.put("drafts", draft);
    }
    go("#/case/" + id + "/q");
  }

  function treeNames(tree, out) {
    if (tree && typeof tree === "object") {
      if (typeof tree.q === "string") out.push(tree.q);
      Object.keys(tree).forEach(function (k) { treeNames(tree[k], out); });
    }
    return out;
  }
  /* "第 n / N 页" as the online pages count (surveys.flow.page_count): a later page is left out only
   * when its filter reads nothing from this page on and is false, so N never grows walking forward. */
  function pageCount(def, draft, answers) {
    var here = -1, settled = [];
    def.pages.forEach(function (p, i) { if (p.name === draft.trail[draft.trail.length - 1]) here = i; });
    def.pages.slice(0, here).forEach(function (p) { settled = settled.concat(F.pageVariables(p)); });
    var later = def.pages.slice(here + 1).filter(function (p) {
      if (!p.show_if_tree) return true;
      var names = treeNames(p.show_if_tree, []);
      return names.some(function (n) { return settled.indexOf(n) < 0; }) || E.evaluate(p.show_if_tree, answers, specialsOf(def));
    });
    return [draft.trail.length, draft.trail.length + later.length];
  }
  function specialsOf(def) {
    var out = {};
    def.pages.forEach(function (p) {
      p.questions.forEach(function (q) {
        if (!q.special) return;
        F.variables(q).forEach(function (v) { out[v] = q.special.map(function (s) { return s.code; }); });
      });
    });
    return out;
  }

  function helplines(def) {
    if (!def.helplines || !def.helplines.length) return "";
    return "<aside class=\"helplines\"><p>" + esc(def.helplines_intro || "") + "</p><ul>" + def.helplines.map(function (h) {
      return "<li><a href=\"tel:" + esc(h.number) + "\">" + esc(h.number) + "</a> " + esc(h.label) + "</li>";
    }).join("") + "</ul></aside>";
  }

  async function interviewView(id) {
    if (!(await holdCase(id))) { lockedView("case/" + id + "/q"); return; }
    var draft = await S.get("drafts", id);
    if (!draft || draft.state !== "open") { go("#/case/" + id); return; }
    var def = defOf(draft), name = draft.trail[draft.trail.length - 1], p = F.page(def, name);
    var read = F.readPage(E, def, name, draft.form, draft.answers), errors = app.errors || {};
    var count = pageCount(def, draft, read.answers), labels = {};
    p.questions.forEach(function (q) {
      labels[q.name] = q.label;
      (q.rows || []).forEach(function (r) { labels[r.name] = r.label; });
    });
    var wrong = Object.keys(errors);
    show("<div class=\"progress\" aria-hidden=\"true\"><div style=\"width: " + Math.round(100 * count[0] / count[1]) + "%\"></div></div>" +
      "<p class=\"pageno\">第 " + count[0] + " / " + count[1] + " 页</p><h1>" + esc(p.title) + "</h1>" +
      (p.sensitive ? "<div class=\"notice\"><p>这一部分问题比较敏感，任何问题都可以不回答。</p><a class=\"exit\" href=\"#/leave\">快速离开</a></div>" : "") +
      (wrong.length ? "<div class=\"summary\" role=\"alert\"><p>有 " + wrong.length + " 处需要修改：</p><ul>" + wrong.map(function (v) {
        var label = labels[v] || "";
        return "<li><a href=\"#q-" + esc(v) + "\" data-jump=\"q-" + esc(v) + "\">" + esc(label.length > 24 ? label.slice(0, 23) + "…" : label) +
          "：" + esc(errors[v]) + "</a></li>";
      }).join("") + "</ul></div>" : "") + (p.intro ? "<p class=\"page-intro\">" + esc(p.intro) + "</p>" : "") +
      "<form id=\"page\" data-case=\"" + id + "\" data-page=\"" + esc(name) + "\" novalidate><div id=\"qs\">" +
      F.drawItems(def, name, draft.form, errors, read.shown) + "</div><div class=\"nav\">" +
      "<button class=\"primary\" type=\"submit\" data-nav=\"next\">" + (count[0] === count[1] ? "提交" : "下一页") + "</button>" +
      (draft.trail.length > 1 ? "<button class=\"secondary\" type=\"submit\" data-nav=\"back\">上一页</button>" : "") + "</div></form>" +
      (p.sensitive ? helplines(def) : "") +
      "<p class=\"resume\">每一次点选都已保存在本机；可以随时 <a href=\"#/case/" + id + "\">暂停，回到个案</a>，稍后接着填。</p>",
      "case/" + id + "/q");
    var bad = wrong.length && document.getElementById("q-" + wrong[0]);
    var focus = bad && bad.querySelector("input, select, textarea");
    if (focus) focus.focus();
    app.errors = null;
  }

  var saving = Promise.resolve();
  /* Every tap: the page's values into the draft (and its answers re-read), written at once. */
  function edited(formEl) {
    var id = parseInt(formEl.getAttribute("data-case"), 10), name = formEl.getAttribute("data-page");
    var values = F.formOf(formEl);
    saving = saving.then(async function () {
      var draft = await S.get("drafts", id);
      if (!draft || draft.state !== "open") return null;
      Array.prototype.forEach.call(formEl.querySelectorAll("[name]"), function (el) { delete draft.form[el.name]; });
      Object.assign(draft.form, values);
      var read = F.readPage(E, defOf(draft), name, draft.form, draft.answers);
      draft.answers = read.answers;
      draft.updated_at = new Date().toISOString();
      await S.put("drafts", draft);
      Array.prototype.forEach.call(formEl.querySelectorAll(".item"), function (item) {
        item.hidden = read.shown.indexOf(item.id.slice(2)) < 0;
      });
      return draft;
    });
    return saving;
  }

  async function navigate(formEl, nav) {
    var draft = await edited(formEl);
    if (!draft) return;
    var id = draft.case, def = defOf(draft), name = draft.trail[draft.trail.length - 1];
    if (nav === "back") {
      draft.trail.pop();
      await S.put("drafts", draft);
      return interviewView(id);
    }
    var read = F.readPage(E, def, name, draft.form, draft.answers);
    var errors = Object.assign({}, E.validatePage(def, name, read.answers), read.errors);
    if (Object.keys(errors).length) { app.errors = errors; return interviewView(id); }
    var next = E.nextPage(def, name, read.answers);
    if (next.page) {
      draft.trail.push(next.page);
      await S.put("drafts", draft);
      return interviewView(id);
    }
    return finish(draft, next.end || null);
  }

  /* The interview is over: its answers (only questions asked) queued as the case's response, in the
   * same transaction that marks the draft finished. */
  async function finish(draft, ended) {
    var def = defOf(draft), body = {instance_id: draft.instance_id, version: draft.version, village: draft.village,
      answers: F.prune(E, def, draft.answers), started_at: draft.started_at, completed_at: new Date().toISOString()};
    var user = app.me.staff.username;
    await S.run(["drafts", "outbox"], "readwrite", function (t) {
      t.objectStore("drafts").put({"case": draft.case, state: "finished", def: draft.def, ended: ended,
        instance_id: draft.instance_id});
      t.objectStore("outbox").add({kind: "response", user: user, "case": draft.case, survey: draft.survey, body: body,
        state: "queued", made: body.completed_at});
    });
    await refreshCounter();
    go("#/case/" + draft.case + "/done");
    sync();
  }

  async function doneView(id) {
    var draft = await S.get("drafts", id), def = draft && app.defs[draft.def];
    if (!draft || !def) { go("#/case/" + id); return; }
    var you = def.pronoun || "您";
    show((draft.ended ? "<h1>感谢参与</h1><p>" + esc(draft.ended) + "</p>" : "<h1>答卷已保存，感谢" + esc(you) + "的参与！</h1>" +
      (def.thanks || "").split("\n\n").filter(function (t) { return t.trim(); }).map(function (t) { return "<p>" + esc(t) + "</p>"; }).join("") +
      "<p class=\"muted\">为保护隐私，这里不显示" + esc(you) + "的答案。</p>") + helplines(def) +
      "<p class=\"muted\">答卷保存在本机，联网后自动上传。</p><p><a class=\"button primary\" href=\"#/case/" + id + "\">返回个案</a></p>",
      "case/" + id + "/done");
  }

  // --- the sync result ----------------------------------------------------------------------------

  async function syncView() {
    var last = await S.get("meta", "sync"), n = await refreshCounter(), items = await S.pending(app.me.staff.username);
    var rejected = items.filter(function (o) { return o.state === "rejected"; }), names = {};
    (await S.all("cases")).forEach(function (r) { names[r.id] = title(r.server); });
    show("<h1>同步结果</h1>" + (last ? "<ul class=\"totals sync-totals\"><li><span class=\"big\">" + last.sent + "</span>项已上传</li>" +
      "<li><span class=\"big\">" + n.queued + "</span>项未上传</li><li><span class=\"big\">" + n.rejected + "</span>项被退回</li></ul>" +
      syncLine(last, n) : "<p>还没有同步过。</p>") +
      (rejected.length ? "<h2>被退回的记录</h2><p class=\"muted\">这些记录保留在本机，不会自动重发；督导员在控制台也能看到。</p><ul>" +
        rejected.map(function (o) {
          return "<li><a href=\"#/case/" + o.case + "\">" + (names[o.case] || "个案 " + o.case) + "</a>：" + esc(o.problem.message) + "</li>";
        }).join("") + "</ul>" : "") +
      "<div class=\"nav\"><a class=\"button primary\" href=\"#/\">返回个案列表</a><button data-do=\"sync\">再同步一次</button></div>",
      "sync") && letGo();
  }

  async function sync() {
    if (!app.me) return null;
    clearTimeout(app.timer);
    var tally = await S.sync();
    await loadBundle();
    if (tally.error === "revoked") {
      app.me = null;
      await S.remove("meta", "device");
      loginView("本设备的登录已失效（令牌已被注销）。请重新登录；未上传的记录保留在本机，登录后自动上传。");
    }
    var n = await refreshCounter();
    if (tally.error === "offline" && n.queued && navigator.onLine) {
      // the network is up but the server is not answering: again later, less and less often (the phone
      // itself offline waits for its `online` event instead)
      app.retry = Math.min(app.retry ? app.retry * 2 : 5, 60);
      app.timer = setTimeout(sync, app.retry * 1000);
    } else {
      app.retry = 0;
    }
    if (app.me && here() === "") listView();
    return tally;
  }

  // --- routing and events -------------------------------------------------------------------------

  function leaveView() {
    if (!show("<h1>生活小贴士</h1><p>天气转凉，早晚温差大，注意添衣保暖。多喝温水，饮食清淡，保证充足睡眠。</p>" +
      "<p><a class=\"quiet\" href=\"#/\">返回</a></p>", "leave")) return;
    letGo();
    document.body.classList.add("leaving");
  }

  async function route() {
    document.body.classList.remove("leaving");
    if (!app.me) { letGo(); return loginView(); }
    var hash = location.hash.replace(/^#\/?/, ""), parts = hash.split("/");
    if (parts[0] === "case" && /^\d+$/.test(parts[1])) {
      var id = parseInt(parts[1], 10);
      if (parts[2] === "q") return interviewView(id);
      if (parts[2] === "done") return doneView(id);
      return caseView(id);
    }
    if (hash === "sync") return syncView();
    if (hash === "leave") return leaveView();
    return listView();
  }

  main.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    if (form.id === "login") return login(form);
    if (form.id === "page") {
      var nav = event.submitter ? event.submitter.getAttribute("data-nav") : form.getAttribute("data-submitter");
      return navigate(form, nav || "next");
    }
    var kind = form.getAttribute("data-form"), id = parseInt(location.hash.split("/")[2], 10);
    if (kind) caseAction(id, kind, form);
  });
  main.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-do], [data-jump], button[data-nav], a.exit") : null;
    if (!target) return;
    if (target.classList.contains("exit")) {  // 快速离开: replaced in the history, so Back cannot bring the page back
      event.preventDefault();
      location.replace(target.href);
      return;
    }
    var what = target.getAttribute("data-do"), id = parseInt(location.hash.split("/")[2], 10);
    if (target.hasAttribute("data-nav")) { target.form.setAttribute("data-submitter", target.getAttribute("data-nav")); return; }
    if (target.hasAttribute("data-jump")) {
      event.preventDefault();
      var box = document.getElementById(target.getAttribute("data-jump"));
      if (box) box.scrollIntoView();
      return;
    }
    if (what === "logout") logout();
    if (what === "interview") startInterview(id);
    if (what === "retry") route();
    if (what === "sync") sync().then(syncView);
  });
  main.addEventListener("change", function (event) { if (event.target.form && event.target.form.id === "page") edited(event.target.form); });
  main.addEventListener("input", function (event) { if (event.target.form && event.target.form.id === "page") edited(event.target.form); });
  document.getElementById("sync-now").addEventListener("click", function () {
    if (!app.me) return;
    this.disabled = true;
    var button = this;
    sync().then(function () { button.disabled = false; go("#/sync"); });
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("online", function () { app.retry = 0; sync(); });
  window.addEventListener("pagehide", letGo);
  S.onClosed(function () { banner("closed", "<p>应用已在另一个标签页更新。答案都已保存，请 <a href=\"\">刷新本页</a>。</p>"); });

  // --- warnings and the service worker ------------------------------------------------------------

  function warnings() {
    if (/MicroMessenger/i.test(navigator.userAgent)) {
      banner("wechat", "<p><strong>您正在微信里打开。</strong>微信可能清除本机保存的记录，未上传的访问会因此丢失。请用手机自带的浏览器打开本应用。</p>" +
        "<button class=\"primary\" data-banner=\"open-browser\">在浏览器中打开</button><p class=\"how\" hidden>点右上角“···”，选择“在浏览器打开”；" +
        "或复制这个地址到浏览器：<code>" + esc(location.origin + "/field/") + "</code></p>");
    }
    var storage = navigator.storage;
    if (!storage || !storage.persist) {
      banner("persist", "<p>这个浏览器不能保证一直保存本机记录：请尽快联网同步。</p>");
      return Promise.resolve(false);
    }
    return storage.persisted().then(function (already) { return already || storage.persist(); }).then(function (kept) {
      banner("persist", kept ? null : "<p><strong>浏览器没有允许“持久保存”。</strong>手机空间不足时，浏览器可能清除本机未上传的记录。请尽快联网同步；" +
        "把本应用“添加到主屏幕”后再打开，通常就能持久保存。</p>");
      return kept;
    });
  }
  document.getElementById("banners").addEventListener("click", async function (event) {
    var what = event.target.getAttribute("data-banner");
    if (what === "open-browser") event.target.parentNode.querySelector(".how").hidden = false;
    if (what !== "update" || !app.waiting) return;
    if (/\/q$/.test(location.hash)) {
      banner("update", "<p>新版本已下载。请先点“暂停，回到个案”离开正在填写的问卷（答案已保存），再点“更新”。</p><button data-banner=\"update\">更新</button>");
      return;
    }
    var n = await counts();
    if (n.queued && !(await ask("还有 " + n.queued + " 项没有上传。更新不会删除它们，更新后会继续上传。现在更新吗？", "更新", "以后再说"))) return;
    app.updating = true;
    app.waiting.postMessage("take-over");
  });

  function offerUpdate(worker) {
    app.waiting = worker;
    banner("update", "<p>应用有新版本。</p><button class=\"primary\" data-banner=\"update\">更新</button>");
  }
  function watchWorker() {
    if (!("serviceWorker" in navigator)) {
      banner("sw", "<p>这个浏览器不能离线打开本应用：没有信号时请不要关闭本页。</p>");
      return;
    }
    navigator.serviceWorker.register("/field/sw.js", {scope: "/field/"}).then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
      reg.addEventListener("updatefound", function () {
        var worker = reg.installing;
        worker.addEventListener("statechange", function () {
          if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
        });
      });
    }).catch(function () { /* offline with no worker yet: the page works until it is closed */ });
    navigator.serviceWorker.addEventListener("controllerchange", function () { if (app.updating) location.reload(); });
  }

  async function start() {
    watchWorker();
    await warnings();
    app.me = await S.device();
    if (app.me) await loadBundle();
    await refreshCounter();
    await route();
    if (app.me) sync();  // on open
  }
  window.CunshengApp = {sync: sync, ready: start()};
})();
