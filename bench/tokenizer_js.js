// js-tiktoken's throughput on the same file, for comparison with bench_tokenizer (one thread).
//   NODE_PATH=$(bash scripts/install-node-tools.sh) node bench/tokenizer_js.js FILE [REPEATS]
const { getEncoding } = require("js-tiktoken");
const fs = require("fs");
const file = process.argv[2];
const repeats = Number(process.argv[3] || 5);
const text = fs.readFileSync(file, "utf8");
const mb = Buffer.byteLength(text, "utf8") / 1e6;
const enc = getEncoding("gpt2");
let best = Infinity, count = 0;
for (let r = 0; r < repeats; r++) {
  const t0 = process.hrtime.bigint();
  count = enc.encode(text, [], []).length;
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(`js-tiktoken 1 thread: ${(mb / best).toFixed(2)} MB/s (${(count / best).toFixed(0)} tokens/s, ${count} tokens)`);
