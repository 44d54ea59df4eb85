// Validate WebVTT files with the W3C WebVTT validator's parser (webvtt-parser, w3c/webvtt.js) in
// its default mode (cue text markup checked too), and print one JSON document:
// {"<file>": {"errors": [{"message", "line", "col"}], "cues": [{"start", "end", "text"}]}}.
// Usage: node webvtt.cjs FILE.vtt...
"use strict";
const fs = require("fs");
const { WebVTTParser } = require("webvtt-parser");

const parser = new WebVTTParser();
const out = {};
for (const file of process.argv.slice(2)) {
  const tree = parser.parse(fs.readFileSync(file, "utf8"));
  out[file] = {
    errors: tree.errors,
    cues: tree.cues.map((c) => ({ start: c.startTime, end: c.endTime, text: c.text })),
  };
}
process.stdout.write(JSON.stringify(out));
