// Parse a feed with the Podcast Index's own parser (podcast-partytime) and print what it read as
// one JSON document: {"feed": <parseFeed's result>, "warnings": [<every warning it logged>]}.
// Usage: node partytime.cjs FEED.xml
"use strict";
const fs = require("fs");
const { logger } = require("podcast-partytime/dist/logger");
const { parseFeed } = require("podcast-partytime");

const warnings = [];
for (const level of ["warn", "error", "fatal"]) {
  logger[level] = (...args) => warnings.push(`${level}: ${args.map(String).join(" ")}`);
}
const feed = parseFeed(fs.readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify({ feed, warnings }));
