/* 村声 field app: drawing a questionnaire page from the served definition, and reading it back.
 *
 * One row per question kind (the kind table of surveys/kinds/, in the browser): how a question is
 * drawn (the same markup, names and classes as templates/partials/macros.html, so a page looks and
 * posts the same offline and online), which variables it stores, and how its form values become an
 * answer (as surveys/kinds/forms.py reads a post, with the same messages). Skip logic, validation
 * and page flow are the engine's (engine.js, CunshengEngine). Pure functions over plain data; no
 * storage, no network.
 */
(function () {
  "use strict";
  var INT = /^[+-]?\d{1,15}$/;
  var DEC = /^[+-]?(\d{1,15}(\.\d{0,12})?|\.\d{1,12})$/;
  // surveys/errors.py AnswerErr.FORM_*: what a form value that is no answer at all is told
  var FORM = {
    choice: "选项无效，请重新选择。",
    integer: "请填写整数，例如 {example}。",
    number: "请填写数字，例如 7.5。",
    duration: "小时和分钟请填写整数。",
    minutes: "分钟请填写 0–59 之间的整数，小时不能为负数。",
    rankGap: "请从第 1 位开始依次排序，中间不要留空。"
  };

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[ch];
    });
  }

  function FormError(message) { this.message = message; }

  // --- reading form values (name -> [values]) as answers -----------------------------------------

  function values(form, key) {
    return (form[key] || []).map(function (v) { return String(v).trim(); }).filter(function (v) { return v; });
  }
  function first(form, key) { var v = values(form, key); return v.length ? v[v.length - 1] : ""; }
  function specialIn(q, list) {
    var codes = (q.special || []).map(function (s) { return String(s.code); });
    for (var i = 0; i < list.length; i++) if (codes.indexOf(list[i]) >= 0) return parseInt(list[i], 10);
    return null;
  }
  function code(text) {
    if (text && !INT.test(text)) throw new FormError(FORM.choice);
    return text ? parseInt(text, 10) : null;
  }
  function own(q) { return [q.name]; }

  function readCode(q, form) { var out = {}; out[q.name] = code(first(form, q.name)); return out; }
  function readRows(q, form) {
    var out = {};
    q.rows.forEach(function (row) { out[row.name] = code(first(form, row.name)); });
    return out;
  }
  function readCodes(q, form) {
    var picked = values(form, q.name), special = specialIn(q, picked), out = {};
    if (special !== null) { out[q.name] = special; return out; }
    var codes = [];
    picked.forEach(function (v) {
      if (!INT.test(v)) throw new FormError(FORM.choice);
      if (codes.indexOf(parseInt(v, 10)) < 0) codes.push(parseInt(v, 10));
    });
    out[q.name] = codes.length ? codes : null;
    return out;
  }
  function numberReader(pattern, message, parse) {
    return function (q, form) {
      var special = specialIn(q, values(form, q.name)), out = {};
      var text = special === null ? first(form, q.name).replace(/，/g, ".").replace(/。/g, ".") : "";
      if (special !== null || !text) { out[q.name] = special; return out; }
      if (!pattern.test(text)) throw new FormError(message.replace("{example}", q.min != null ? q.min : 3));
      out[q.name] = parse(text);
      return out;
    };
  }
  function readDuration(q, form) {
    var special = specialIn(q, values(form, q.name)), out = {};
    if (special !== null) { out[q.name] = special; return out; }
    var hours = first(form, q.name + "__h"), minutes = first(form, q.name + "__m");
    if (!hours && !minutes) { out[q.name] = null; return out; }
    if (!INT.test(hours || "0") || !INT.test(minutes || "0")) throw new FormError(FORM.duration);
    var h = parseInt(hours || "0", 10), m = parseInt(minutes || "0", 10);
    if (h < 0 || m < 0 || m > 59) throw new FormError(FORM.minutes);
    out[q.name] = h * 60 + m;
    return out;
  }
  function readText(q, form) {
    var special = specialIn(q, values(form, q.name)), out = {};
    out[q.name] = special !== null ? special : first(form, q.name) || null;
    return out;
  }
  function readRanking(q, form) {
    var special = specialIn(q, values(form, q.name)), out = {};
    if (special !== null) { out[q.name] = special; return out; }
    var ranked = [];
    for (var i = 1; i <= (q.top || 1); i++) ranked.push(first(form, q.name + "__" + i));
    if (ranked.some(function (v) { return v && !INT.test(v); })) throw new FormError(FORM.choice);
    while (ranked.length && !ranked[ranked.length - 1]) ranked.pop();
    if (ranked.indexOf("") >= 0) throw new FormError(FORM.rankGap);
    out[q.name] = ranked.length ? ranked.map(function (v) { return parseInt(v, 10); }) : null;
    return out;
  }

  // --- drawing (templates/partials/macros.html) ---------------------------------------------------

  function has(form, key, value) { return (form[key] || []).indexOf(String(value)) >= 0; }
  function one(form, key) { var v = form[key] || []; return v.length ? v[0] : ""; }
  function described(q, key, errors) {
    var ids = (q.help ? "h-" + key + " " : "") + (errors[key] ? "e-" + key : "");
    return " aria-describedby=\"" + ids + "\"";
  }
  function open(q, errors, key) {
    key = key || q.name;
    return "<fieldset class=\"q" + (errors[key] ? " has-error" : "") + "\" id=\"q-" + esc(key) + "\">" +
      "<legend>" + esc(q.label) + (q.required ? "" : " <span class=\"optional\">（可不答）</span>") + "</legend>" +
      (q.help ? "<p class=\"help\" id=\"h-" + esc(key) + "\">" + esc(q.help) + "</p>" : "") +
      (errors[key] ? "<p class=\"error\" id=\"e-" + esc(key) + "\">" + esc(errors[key]) + "</p>" : "");
  }
  function option(type, key, value, label, checked, extra, special) {
    return "<label class=\"opt" + (special ? " special" : "") + "\"><input type=\"" + type + "\" name=\"" + esc(key) +
      "\" value=\"" + esc(value) + "\"" + (checked ? " checked" : "") + extra + "> <span>" + esc(label) + "</span></label>";
  }
  function specials(q, form, errors, type, key) {
    key = key || q.name;
    return (q.special || []).map(function (s) {
      return option(type, key, s.code, s.label, has(form, key, s.code), described(q, key, errors), true);
    }).join("");
  }
  function drawChoice(type) {
    return function (q, form, errors) {
      return open(q, errors) + (q.max_choices ? "<p class=\"help\">最多选 " + q.max_choices + " 项</p>" : "") +
        q.choices.map(function (c) {
          return option(type, q.name, c.code, c.label, has(form, q.name, c.code), described(q, q.name, errors));
        }).join("") + specials(q, form, errors, type) + "</fieldset>";
    };
  }
  function drawMatrix(q, form, errors) {
    return "<fieldset class=\"q matrix\" id=\"q-" + esc(q.name) + "\"><legend>" + esc(q.label) +
      (q.required ? "" : " <span class=\"optional\">（可不答）</span>") + "</legend>" +
      (q.help ? "<p class=\"help\">" + esc(q.help) + "</p>" : "") + q.rows.map(function (row) {
        var bad = errors[row.name], by = bad ? " aria-describedby=\"e-" + esc(row.name) + "\"" : "";
        return "<fieldset class=\"row" + (bad ? " has-error" : "") + "\" id=\"q-" + esc(row.name) + "\"><legend>" +
          esc(row.label) + "</legend>" + (bad ? "<p class=\"error\" id=\"e-" + esc(row.name) + "\">" + esc(bad) + "</p>" : "") +
          q.choices.map(function (c) {
            return option("radio", row.name, c.code, c.label, has(form, row.name, c.code), by);
          }).join("") + specials(q, form, errors, "radio", row.name) + "</fieldset>";
      }).join("") + "</fieldset>";
  }
  function box(name, value, mode, extra) {
    return "<input class=\"num\" type=\"text\" inputmode=\"" + mode + "\" name=\"" + esc(name) + "\" value=\"" +
      esc(value) + "\" autocomplete=\"off\"" + (extra || "") + ">";
  }
  function drawNumber(mode) {
    return function (q, form, errors) {
      var codes = (q.special || []).map(function (s) { return String(s.code); });
      var typed = (form[q.name] || []).filter(function (v) { return codes.indexOf(v) < 0; })[0] || "";
      return open(q, errors) + "<label class=\"inline\">" + box(q.name, typed, mode, described(q, q.name, errors)) +
        (q.unit ? " <span class=\"unit\">" + esc(q.unit) + "</span>" : "") + "</label>" +
        specials(q, form, errors, "checkbox") + "</fieldset>";
    };
  }
  function drawDuration(q, form, errors) {
    return open(q, errors) +
      "<label class=\"inline\">" + box(q.name + "__h", one(form, q.name + "__h"), "numeric", described(q, q.name, errors)) +
      " <span class=\"unit\">小时</span></label><label class=\"inline\">" +
      box(q.name + "__m", one(form, q.name + "__m"), "numeric") + " <span class=\"unit\">分钟</span></label>" +
      specials(q, form, errors, "checkbox") + "</fieldset>";
  }
  function drawDate(q, form, errors) {
    var min = q.min && q.min !== "today" ? " min=\"" + esc(q.min) + "\"" : "";
    return open(q, errors) + "<input type=\"date\" name=\"" + esc(q.name) + "\" value=\"" + esc(one(form, q.name)) +
      "\"" + min + described(q, q.name, errors) + ">" + specials(q, form, errors, "checkbox") + "</fieldset>";
  }
  function drawText(q, form, errors) {
    return open(q, errors) + "<textarea name=\"" + esc(q.name) + "\" rows=\"3\" maxlength=\"" + (q.max_length || 200) +
      "\"" + described(q, q.name, errors) + ">" + esc(one(form, q.name)) + "</textarea>" +
      specials(q, form, errors, "checkbox") + "</fieldset>";
  }
  function drawRanking(q, form, errors) {
    var out = open(q, errors);
    for (var i = 1; i <= (q.top || 1); i++) {
      var key = q.name + "__" + i;
      out += "<label class=\"rank\"><span class=\"rank-no\">第 " + i + " 位</span> <select name=\"" + esc(key) + "\"" +
        described(q, q.name, errors) + "><option value=\"\">请选择</option>" + q.choices.map(function (c) {
          return "<option value=\"" + esc(c.code) + "\"" + (has(form, key, c.code) ? " selected" : "") + ">" +
            esc(c.label) + "</option>";
        }).join("") + "</select></label>";
    }
    return out + specials(q, form, errors, "checkbox") + "</fieldset>";
  }
  function drawNote(q) {
    return "<div class=\"note\" id=\"q-" + esc(q.name) + "\"><p>" + esc(q.label) + "</p>" +
      (q.help ? "<p class=\"help\">" + esc(q.help) + "</p>" : "") + "</div>";
  }

  var KINDS = {
    single: {draw: drawChoice("radio"), read: readCode, vars: own},
    multiple: {draw: drawChoice("checkbox"), read: readCodes, vars: own},
    matrix: {draw: drawMatrix, read: readRows, vars: function (q) { return q.rows.map(function (r) { return r.name; }); }},
    integer: {draw: drawNumber("numeric"), read: numberReader(INT, FORM.integer, function (t) { return parseInt(t, 10); }), vars: own},
    decimal: {draw: drawNumber("decimal"), read: numberReader(DEC, FORM.number, parseFloat), vars: own},
    duration: {draw: drawDuration, read: readDuration, vars: own},
    date: {draw: drawDate, read: readText, vars: own},
    text: {draw: drawText, read: readText, vars: own},
    ranking: {draw: drawRanking, read: readRanking, vars: own},
    note: {draw: drawNote, read: function () { return {}; }, vars: function () { return []; }}
  };

  // --- pages --------------------------------------------------------------------------------------

  function page(def, name) {
    for (var i = 0; i < def.pages.length; i++) if (def.pages[i].name === name) return def.pages[i];
    return null;
  }
  function variables(q) { return KINDS[q.kind].vars(q); }
  function pageVariables(p) {
    return p.questions.reduce(function (all, q) { return all.concat(variables(q)); }, []);
  }
  function without(answers, names) {
    var out = {};
    Object.keys(answers).forEach(function (k) { if (names.indexOf(k) < 0) out[k] = answers[k]; });
    return out;
  }

  /* One page's form values read as answers, question by question in order, each asked or not given
   * the answers before it (surveys.answers.read_page): {answers: all answers with this page's
   * replaced, errors: {variable: message} of values that are no answer, shown: [question names]}. */
  function readPage(E, def, pageName, form, prior) {
    var p = page(def, pageName), merged = without(prior, pageVariables(p)), errors = {}, shown = [];
    p.questions.forEach(function (q) {
      if (E.visibleQuestions(def, pageName, merged).indexOf(q.name) < 0) return;
      shown.push(q.name);
      try {
        var got = KINDS[q.kind].read(q, form);
        Object.keys(got).forEach(function (k) { if (got[k] !== null) merged[k] = got[k]; });
      } catch (e) {
        if (!(e instanceof FormError)) throw e;
        errors[variables(q)[0]] = e.message;
      }
    });
    return {answers: merged, errors: errors, shown: shown};
  }

  /* The answers of the questions still asked (surveys.answers.prune): what a finished response stores. */
  function prune(E, def, answers) {
    var kept = {}, at = E.firstPage(def, answers), guard = 0;
    while (at.page && guard++ <= def.pages.length) {
      var p = page(def, at.page), shown = E.visibleQuestions(def, at.page, answers);
      p.questions.forEach(function (q) {
        if (shown.indexOf(q.name) < 0) return;
        variables(q).forEach(function (v) { if (v in answers) kept[v] = answers[v]; });
      });
      at = E.nextPage(def, at.page, answers);
    }
    return kept;
  }

  function drawItems(def, pageName, form, errors, shown) {
    return page(def, pageName).questions.map(function (q) {
      return "<div class=\"item\" id=\"i-" + esc(q.name) + "\" data-kind=\"" + esc(q.kind) + "\"" +
        (shown.indexOf(q.name) < 0 ? " hidden" : "") + ">" + KINDS[q.kind].draw(q, form, errors) + "</div>";
    }).join("");
  }

  /* The form values on screen: name -> [values], as a browser would post them. */
  function formOf(root) {
    var out = {};
    Array.prototype.forEach.call(root.querySelectorAll("input[name], select[name], textarea[name]"), function (el) {
      var list = out[el.name] || (out[el.name] = []);
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) list.push(el.value); } else list.push(el.value);
    });
    return out;
  }

  window.CunshengForm = {KINDS: KINDS, esc: esc, page: page, variables: variables, pageVariables: pageVariables,
    readPage: readPage, prune: prune, drawItems: drawItems, formOf: formOf};
})();
