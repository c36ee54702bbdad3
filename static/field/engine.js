/* 村声 field engine: the browser's twin of surveys/expr.py, answers.py and kinds/checks.py. It reads only the
   definition GET /api/v1/surveys/{survey} serves: evaluates its condition trees (docs/questionnaire_format.md),
   walks its pages and checks answers in the JSON API's encoding with the server's messages. The server re-checks
   on sync; tests/conformance/cases.json holds both engines to the same results. Plain ES2017, no DOM:
   a classic <script> (self.CunshengEngine) or require() in node. */
(function (root) {
"use strict";

const own = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);
const get = (o, k) => (own(o, k) && o[k] !== undefined ? o[k] : null);
const isInt = (v) => typeof v === "number" && Number.isInteger(v);

// --- Python's equality, order and truth; where Python raises TypeError the whole condition is false ---

class PyTypeError extends Error {}
const isNum = (v) => typeof v === "number" || typeof v === "boolean";
const isDict = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function eq(a, b) {
  if (isNum(a) && isNum(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => own(b, k) && eq(a[k], b[k]));
  }
  return a === b;
}

function order(a, b) { // <0, 0, >0 as Python orders a and b
  if (isNum(a) && isNum(b)) return Number(a) - Number(b);
  if (typeof a === "string" && typeof b === "string") { // by code point, as Python's str (not UTF-16)
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < x.length && i < y.length; i++) {
      if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
    }
    return x.length - y.length;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) if (!eq(a[i], b[i])) return order(a[i], b[i]);
    return a.length - b.length;
  }
  throw new PyTypeError();
}

const COMPARE = {
  "==": (a, b) => eq(a, b), "!=": (a, b) => !eq(a, b),
  "<": (a, b) => order(a, b) < 0, "<=": (a, b) => order(a, b) <= 0,
  ">": (a, b) => order(a, b) > 0, ">=": (a, b) => order(a, b) >= 0,
};

function truthy(v) {
  if (Array.isArray(v) || typeof v === "string") return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

// --- conditions (surveys/expr.py) ---

const empty = (v) => v === null || v === "" || (Array.isArray(v) && v.length === 0);

function ordinary(answers, specials, name) { // the answer, or null when missing or a special code
  const v = get(answers, name);
  if (empty(v)) return null;
  if (isInt(v) && (get(specials, name) || []).some((c) => eq(c, v))) return null;
  return v;
}

function member(value, codes) { // Python's `value in frozenset(codes)`
  if (value !== null && typeof value === "object") throw new PyTypeError(); // unhashable
  return codes.some((c) => eq(c, value));
}

function call(node, answers, specials) {
  const raw = get(answers, node.q);
  if (node.fn === "answered") return !empty(raw);
  if (node.fn === "count") {
    const v = ordinary(answers, specials, node.q);
    return Array.isArray(v) ? v.length : v === null ? 0 : 1;
  }
  if (node.fn === "selected") return (Array.isArray(raw) ? raw : [raw]).some((c) => member(c, node.codes));
  throw new Error("unknown function " + node.fn);
}

function value(node, answers, specials) {
  if (own(node, "and")) return node.and.every((n) => truthy(value(n, answers, specials)));
  if (own(node, "or")) return node.or.some((n) => truthy(value(n, answers, specials)));
  if (own(node, "not")) return !truthy(value(node.not, answers, specials));
  if (own(node, "cmp")) {
    const args = node.args.map((n) => value(n, answers, specials));
    if (args.some((v) => v === null)) return false;
    return node.cmp.every((op, i) => COMPARE[op](args[i], args[i + 1]));
  }
  if (own(node, "q")) return own(node, "fn") ? call(node, answers, specials) : ordinary(answers, specials, node.q);
  if (own(node, "v")) return node.v;
  throw new Error("unknown node " + JSON.stringify(node));
}

function evaluate(tree, answers, specials) {
  try {
    return truthy(value(tree, answers || {}, specials || {}));
  } catch (e) {
    if (e instanceof PyTypeError) return false;
    throw e;
  }
}

function names(node, out) { // every question a tree reads
  if (own(node, "q")) out.push(node.q);
  for (const n of node.and || node.or || node.args || []) names(n, out);
  if (own(node, "not")) names(node.not, out);
  return out;
}

// --- messages (surveys/errors.py AnswerErr) and Python's str() of numbers ---

const MESSAGES = {
  required: "此题必须回答。", row_required: "请回答这一行。",
  not_a_choice: "选项无效，请从列出的选项中选择。", not_choices: "请选择列出的选项。",
  exclusive: "“{label}”不能与其他选项同时选择。", too_many: "最多选择 {max} 项，您选了 {count} 项。",
  too_few: "请至少选择 {min} 项。", not_ranking: "请按顺序选择选项。", rank_repeated: "同一选项不能排在两个位置。",
  rank_too_many: "最多排出前 {top} 位。", rank_too_few: "请排出前 {top} 位。",
  not_integer: "请填写整数。", not_number: "请填写数字。", out_of_range: "请填写 {min}–{max}{unit} 之间的数。",
  decimals: "最多保留 {decimals} 位小数。", not_duration: "请填写时长（小时和分钟）。",
  duration_too_long: "时长不能超过 {hours} 小时 {minutes} 分钟。",
  not_date: "请按“年-月-日”填写日期，例如 2024-05-01。", date_range: "日期应在 {low} 至 {high} 之间。",
  not_text: "请填写文字。", bad_characters: "文字中有无法保存的特殊字符，请删除后重新填写。",
  text_too_long: "最多 {max} 个字，现在是 {count} 个字。",
};

function pyFloat(x) { // repr() of a Python float
  const [mantissa, e] = x.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return mantissa + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  const s = String(x);
  return s.includes(".") ? s : s + ".0";
}

// A JSON number is an int unless it has a fraction (JSON cannot say "3.0"); `float` forces float.
const pyStr = (v, float) =>
  (typeof v !== "number" ? String(v) : float || !Number.isInteger(v) ? pyFloat(v) : String(v));

function message(key, params) {
  return MESSAGES[key].replace(/\{(\w+)\}/g, (_, k) => pyStr(params[k]));
}

// --- checks per kind (surveys/kinds/checks.py) ---

const codesOf = (q) => (q.choices || []).map((c) => c.code);

function range(q, v) {
  const low = get(q, "min"), high = get(q, "max");
  if ((low !== null && v < low) || (high !== null && v > high)) {
    return message("out_of_range", {min: low === null ? "" : low, max: high === null ? "" : high, unit: q.unit || ""});
  }
  return null;
}

function checkCode(q, v) {
  return isInt(v) && codesOf(q).includes(v) ? null : message("not_a_choice");
}

function checkCodes(q, v) {
  if (!Array.isArray(v) || !v.every(isInt)) return message("not_choices");
  const codes = codesOf(q);
  if (v.some((c) => !codes.includes(c)) || new Set(v).size !== v.length) return message("not_a_choice");
  const exclusive = v.filter((c) => (q.exclusive || []).includes(c));
  if (exclusive.length && v.length > 1) {
    const choice = q.choices.concat(q.special || []).find((c) => c.code === exclusive[0]);
    return message("exclusive", {label: choice ? choice.label : "None"});
  }
  const most = get(q, "max_choices");
  if (most !== null && v.length > most) return message("too_many", {max: most, count: v.length});
  if (get(q, "min_choices") !== null && v.length < q.min_choices) return message("too_few", {min: q.min_choices});
  return null;
}

function checkRanking(q, v) {
  if (!Array.isArray(v) || !v.length || !v.every(isInt)) return message("not_ranking");
  const codes = codesOf(q);
  if (v.some((c) => !codes.includes(c))) return message("not_a_choice");
  if (new Set(v).size !== v.length) return message("rank_repeated");
  const wanted = Math.min(q.top || 1, codes.length);
  if (v.length > wanted) return message("rank_too_many", {top: wanted});
  if (q.required && v.length < wanted) return message("rank_too_few", {top: wanted});
  return null;
}

function checkDecimal(q, v) {
  if (typeof v !== "number" || Number.isNaN(v)) return message("not_number");
  const decimals = get(q, "decimals") === null ? 1 : q.decimals;
  if (Number(v.toFixed(decimals)) !== v) return message("decimals", {decimals});
  return range(q, v);
}

function checkDuration(q, v) {
  if (!isInt(v) || v < 0) return message("not_duration");
  const limit = get(q, "max") === null ? 1440 : q.max;
  if (v <= limit) return null;
  const float = !Number.isInteger(limit); // Python's // and % of a float are floats
  return MESSAGES.duration_too_long.replace("{hours}", pyStr(Math.floor(limit / 60), float))
    .replace("{minutes}", pyStr(((limit % 60) + 60) % 60, float));
}

function isoDay(text) { // "YYYY-MM-DD" when it names a real day, else null
  const m = typeof text === "string" && /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]), month = Number(m[2]), d = Number(m[3]);
  const last = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return y >= 1 && month >= 1 && month <= 12 && d >= 1 && d <= last[month - 1] ? text : null;
}

function dateBound(bound) {
  if (bound !== "today") return isoDay(bound);
  const now = new Date(), pad = (n, w) => String(n).padStart(w || 2, "0"); // the device's own day, as the server's
  return pad(now.getFullYear(), 4) + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
}

function checkDate(q, v) {
  const day = isoDay(v);
  if (day === null) return message("not_date");
  const low = dateBound(get(q, "min")), high = dateBound(get(q, "max"));
  if ((low && day < low) || (high && day > high)) return message("date_range", {low: low || "", high: high || ""});
  return null;
}

const UNSTORABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]/u; // surveys/payload.py storable()

function checkText(q, v) {
  if (typeof v !== "string") return message("not_text");
  if (UNSTORABLE.test(v)) return message("bad_characters");
  const limit = get(q, "max_length") === null ? 200 : q.max_length, count = Array.from(v).length;
  return count > limit ? message("text_too_long", {max: limit, count}) : null;
}

// The kind table's answer rules (surveys/kinds/__init__.py): check, stored variables, missing message.
const KINDS = {
  single: {check: checkCode}, multiple: {check: checkCodes},
  matrix: {check: checkCode, rows: true, missing: "row_required"},
  integer: {check: (q, v) => (isInt(v) ? range(q, v) : message("not_integer"))}, decimal: {check: checkDecimal},
  duration: {check: checkDuration}, date: {check: checkDate}, text: {check: checkText},
  ranking: {check: checkRanking}, note: {none: true},
};

function kindOf(q) {
  if (!own(KINDS, q.kind)) throw new Error("unknown kind " + q.kind); // a definition newer than this engine
  return KINDS[q.kind];
}

function variables(q) {
  const kind = kindOf(q);
  return kind.none ? [] : kind.rows ? q.rows.map((r) => r.name) : [q.name];
}

function checkVariable(q, v) { // answers.py _check_question, one variable
  if (v === null || v === undefined) return q.required ? message(kindOf(q).missing || "required") : null;
  if (isInt(v) && (q.special || []).some((s) => s.code === v)) return null;
  return kindOf(q).check(q, v);
}

// --- the definition: pages and variables by name (built once per definition) ---

const indexes = new WeakMap();

function index(def) {
  let ix = indexes.get(def);
  if (!ix) {
    ix = {pages: new Map(), questions: new Map(), specials: {}};
    for (const page of def.pages) {
      ix.pages.set(page.name, page);
      for (const q of page.questions) {
        for (const v of variables(q)) {
          ix.questions.set(v, q);
          if (q.special) ix.specials[v] = q.special.map((s) => s.code);
        }
      }
    }
    indexes.set(def, ix);
  }
  return ix;
}

function pageOf(def, name) {
  const page = index(def).pages.get(name);
  if (!page) throw new Error("no page " + name);
  return page;
}

const holds = (def, tree, answers) => evaluate(tree, answers, index(def).specials);
const shown = (def, item, answers) => !item.show_if_tree || holds(def, item.show_if_tree, answers);
const ends = (def, page, answers) => Boolean(page.end_if_tree) && holds(def, page.end_if_tree, answers);

function shownPages(def, answers) { // answers.py shown_pages
  const out = [];
  for (const page of def.pages) {
    if (!shown(def, page, answers)) continue;
    out.push(page);
    if (ends(def, page, answers)) break;
  }
  return out;
}

// --- the public API ---

function visibleQuestions(def, pageName, answers) {
  return pageOf(def, pageName).questions.filter((q) => shown(def, q, answers)).map((q) => q.name);
}

function validateQuestion(def, name, value, answers) {
  const q = index(def).questions.get(name);
  return q && shown(def, q, answers) ? checkVariable(q, value) : null;
}

function validatePage(def, pageName, answers) {
  const page = pageOf(def, pageName), specials = index(def).specials, errors = {}, broken = {};
  for (const q of page.questions) {
    if (!shown(def, q, answers)) continue;
    for (const v of variables(q)) {
      const problem = checkVariable(q, get(answers, v));
      if (problem) errors[v] = problem;
    }
  }
  for (const c of page.constraints || []) {
    const unsure = names(c.check_tree, []).some((n) => own(errors, n) || ordinary(answers, specials, n) === null);
    if (!own(errors, c.question) && !unsure && !holds(def, c.check_tree, answers)) broken[c.question] = c.message;
  }
  return Object.assign(errors, broken);
}

function nextPage(def, pageName, answers) {
  const page = pageOf(def, pageName);
  if (ends(def, page, answers)) return {end: page.end_message === undefined ? null : page.end_message};
  const pages = shownPages(def, answers);
  const at = pages.indexOf(page);
  const following = at >= 0 ? pages[at + 1]
    : def.pages.slice(def.pages.indexOf(page) + 1).find((p) => pages.includes(p));
  return following ? {page: following.name} : {done: true};
}

function firstPage(def, answers) {
  const pages = shownPages(def, answers);
  return pages.length ? {page: pages[0].name} : {done: true};
}

const api = Object.freeze({evaluate, validateQuestion, validatePage, visibleQuestions, nextPage, firstPage});
if (typeof module === "object" && module && module.exports) module.exports = api;
else root.CunshengEngine = api;
})(typeof self !== "undefined" ? self : this);
