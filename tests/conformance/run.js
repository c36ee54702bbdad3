// Runs static/field/engine.js on the conformance cases and prints its results as JSON (tests/surveys/conformance.py).
//   node run.js SERVED.json   every case of cases.json, on the definitions the server served for them:
//                             {"definitions": {key: definition}, "specials": {key: {variable: [codes]}}, "cases": {id: key}}
//   node run.js --trees BATCH.json   {"trees": [...], "specials": {...}, "answers": [...]}: one row per tree
//   node run.js --pages BATCH.json   {"definition": ..., "answers": [...]}: per answer set, for every page, its
//                                    messages, visible questions and next page, and the first page
"use strict";
const fs = require("fs");
const path = require("path");
const engine = require(path.join(__dirname, "..", "..", "static", "field", "engine.js"));

const read = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

function run(c, def, specials) {
  switch (c.type) {
    case "condition": return engine.evaluate(def.pages[def.pages.length - 1].show_if_tree, c.answers, specials);
    case "validate": return engine.validateQuestion(def, c.name, c.value, c.answers);
    case "page": return engine.validatePage(def, c.page, c.answers);
    case "visible": return engine.visibleQuestions(def, c.page, c.answers);
    case "next": return c.from === null ? engine.firstPage(def, c.answers) : engine.nextPage(def, c.from, c.answers);
    default: throw new Error("unknown case type " + c.type);
  }
}

function results(served) {
  const out = {};
  for (const c of read(path.join(__dirname, "cases.json")).cases) {
    const key = served.cases[c.id];
    try {
      out[c.id] = {result: run(c, served.definitions[key], served.specials[key])};
    } catch (e) {
      out[c.id] = {error: String(e && e.stack || e)};
    }
  }
  return out;
}

function pages(def, answers) {
  const each = (fn) => Object.fromEntries(def.pages.map((p) => [p.name, fn(def, p.name, answers)]));
  return {errors: each(engine.validatePage), visible: each(engine.visibleQuestions), next: each(engine.nextPage),
          first: engine.firstPage(def, answers)};
}

const args = process.argv.slice(2);
if (args[0] === "--pages") {
  const batch = read(args[1]);
  process.stdout.write(JSON.stringify(batch.answers.map((a) => pages(batch.definition, a))));
} else if (args[0] === "--trees") {
  const batch = read(args[1]);
  process.stdout.write(JSON.stringify(batch.trees.map((t) => batch.answers.map((a) => engine.evaluate(t, a, batch.specials)))));
} else {
  process.stdout.write(JSON.stringify(results(read(args[0]))));
}
