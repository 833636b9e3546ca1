#!/usr/bin/env node
// js-tiktoken's GPT-2 encoding throughput on the same text, one thread (node is single-threaded).
//   node bench/tokenizer_js.js [TEXT]     (needs scripts/install-node-tools.sh)
// MB are 10^6 bytes of UTF-8 input; the figure is the best of repeated runs of at least 2 s.
"use strict";
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
const pkg = path.join(root, ".cache/node/node_modules/js-tiktoken");
const { getEncoding } = require(pkg);
const version = require(path.join(pkg, "package.json")).version;

const file = process.argv[2] || "../shared/data/fineweb-edu-sample.txt";
const bytes = fs.readFileSync(file);
const text = bytes.toString("utf8");
const enc = getEncoding("gpt2");
const tokens = enc.encode(text, [], []).length;  // also warms up the JIT

let best = 0;
const start = process.hrtime.bigint();
for (let round = 0; round < 3 || Number(process.hrtime.bigint() - start) / 1e9 < 2; ++round) {
  const t = process.hrtime.bigint();
  enc.encode(text, [], []);
  best = Math.max(best, bytes.length / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9));
}
console.log(`js-tiktoken ${version} (node ${process.version}), 1 thread: ${best.toFixed(1)} MB/s (${tokens} tokens)`);
