#!/usr/bin/env node
// Writes tests/fixtures/tokenizer_gpt2.json: GPT-2 ids from js-tiktoken (an independent
// implementation, `gpt2` encoding, ordinary text) for hard edge cases, seeded random strings,
// passages of ../shared/data/fineweb-edu-sample.txt (by byte offset and length; the text stays
// in ../shared) and a count + hash of the ids of the whole sample.
//   bash scripts/install-node-tools.sh && node tests/tools/make_tokenizer_fixture.js
//
// U+0085 and U+FEFF are left out on purpose: JavaScript's \s differs there from the \s of
// GPT-2's Python `regex` (and tiktoken), which moelaw follows; test_tokenizer.cpp covers them.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "../..");
const { getEncoding } = require(path.join(root, ".cache/node/node_modules/js-tiktoken"));
const version = require(path.join(root, ".cache/node/node_modules/js-tiktoken/package.json")).version;
const enc = getEncoding("gpt2");
const encode = (text) => enc.encode(text, [], []);  // no special tokens: text is ordinary

// FNV-1a 64 of a byte sequence, as 16 hex digits.
function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

const cases = [
  ["contractions lower", "don't it's we're you've I'm we'll he'd"],
  ["contractions upper", "DON'T IT'S WE'RE YOU'VE I'M WE'LL HE'D"],
  ["contractions mixed", "'S 's 'll 'LL 'Ll 'd 'D 're 'Re 've 'm 't 'T ''s x's"],
  ["contraction starts", "'sup 'tis 'em 'llama 'dog 'rex '''"],
  ["newlines and spaces", "a\n\n\n  b"],
  ["leading newlines", "\n\n\n  "],
  ["trailing spaces", "end   "],
  ["long spaces", "x" + " ".repeat(300) + "y"],
  ["very long spaces", " ".repeat(5000)],
  ["long newlines", "a" + "\n".repeat(2000) + "b"],
  ["mixed whitespace run", " \t\n \r\n\t\t  \n\u00a0 \u3000 x \u2028y\u2029"],
  ["tabs", "\tfoo\t\tbar\t"],
  ["crlf", "line one\r\nline two\r\n\r\nline three\r\n"],
  ["nbsp and ideographic space", "a\u00a0b \u00a0c\u3000d \u3000\u3000e\u2009f\u202fg"],
  ["digits", "1 12 123 1234 12345 123456 3.14159 1,000,000 007"],
  ["long digits", "9".repeat(3000) + " " + "0123456789".repeat(100)],
  ["number-like", "Ⅻ ² ½ ٣ ३ ① ¾ 𝟙 Ⅻx x²"],
  ["emoji", "I ❤️ 🍕! 👍🏽👍🏿 🇫🇷🇯🇵"],
  ["emoji zwj", "👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🧑‍🤝‍🧑"],
  ["long emoji", "😀".repeat(200)],
  ["cjk", "中文测试，日本語のテキスト。한국어 텍스트"],
  ["arabic", "مرحبا بالعالم، هذا اختبار ١٢٣"],
  ["devanagari", "नमस्ते दुनिया यह एक परीक्षण है"],
  ["combining marks", "e\u0301 n\u0303 a\u0308\u0304 Z\u0351\u0358\u0359a\u0352l\u0357go"],
  ["endoftext literal", "before <|endoftext|> after<|endoftext|>"],
  ["mixed scripts", "Hello世界мирעולם🌍 ça va? Ελληνικά"],
  ["punctuation", "!!! ??? ... --- ((())) {}[] @#$%^&*"],
  ["long punctuation", "-".repeat(1000) + "=".repeat(500)],
  ["long letters", "a".repeat(2000)],
  ["code", "int main() {\n    return 0;\n}\n\tif (x != y) { x += 2; }\n"],
  ["url and email", "https://example.com/a?b=c&d=e#f mail@example.org"],
  ["control characters", "\u0000\u0001\u001b[0m\u007f\u001c\u001f"],
  ["private use and specials", "\ue000\uf8ff\ufffd\ufffc"],
  ["astral letters", "𝐀𝐁𝐂 𐌰𐌱 𠀀𠀁"],
  ["single space", " "],
  ["single newline", "\n"],
  ["apostrophes unicode", "don’t it’s ‘quoted’"],
];

// Seeded strings over a mixed alphabet: many short texts that exercise the regex alternatives.
function xorshift32(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}
const alphabet = [..."aZé ß'sStTdDmlLrRvVe 0123456789٣²½Ⅻ  \t\n\r\u00a0\u3000\u2028" +
                  "!?.,-_'\"()中文ниこ🙂👍🏽\u200d\u0301🇫🇷한\u0915\u094d"];
const next = xorshift32(20261125);
for (let i = 0; i < 150; ++i) {
  const len = 1 + (next() % 40);
  let s = "";
  for (let j = 0; j < len; ++j) s += alphabet[next() % alphabet.length];
  cases.push([`random ${i}`, s]);
}

const samplePath = path.join(root, "../shared/data/fineweb-edu-sample.txt");
const sample = fs.readFileSync(samplePath);
const isCharStart = (off) => off >= sample.length || (sample[off] & 0xc0) !== 0x80;
const passages = [];
const pick = xorshift32(4242);
for (let i = 0; i < 30; ++i) {
  let offset = pick() % (sample.length - 4000);
  let length = 100 + (pick() % 2400);
  while (!isCharStart(offset)) ++offset;
  while (!isCharStart(offset + length)) ++length;
  const text = sample.subarray(offset, offset + length).toString("utf8");
  passages.push({ offset, length, ids: encode(text) });
}
const wholeIds = encode(sample.toString("utf8"));

const lines = [];
lines.push("{");
lines.push(`  "generator": "tests/tools/make_tokenizer_fixture.js with js-tiktoken ${version}, encoding gpt2, ordinary text",`);
lines.push('  "cases": [');
lines.push(cases.map(([name, text]) =>
  `    {"name": ${JSON.stringify(name)}, "text": ${JSON.stringify(text)}, "ids": ${JSON.stringify(encode(text))}}`).join(",\n"));
lines.push("  ],");
lines.push('  "sample": {');
lines.push('    "path": "data/fineweb-edu-sample.txt",');
lines.push(`    "bytes": ${sample.length},`);
lines.push(`    "bytes_fnv1a64": "${fnv1a64(sample)}",`);
lines.push(`    "tokens": ${wholeIds.length},`);
lines.push(`    "ids_fnv1a64": "${fnv1a64(Buffer.from(wholeIds.join(" ")))}",`);
lines.push('    "passages": [');
lines.push(passages.map((p) => `      ${JSON.stringify(p)}`).join(",\n"));
lines.push("    ]");
lines.push("  }");
lines.push("}");
const out = path.join(root, "tests/fixtures/tokenizer_gpt2.json");
fs.writeFileSync(out, lines.join("\n") + "\n");
console.log(`wrote ${out}: ${cases.length} cases, ${passages.length} passages, sample ${wholeIds.length} tokens`);
