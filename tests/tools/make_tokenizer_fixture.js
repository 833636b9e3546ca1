// Writes tests/fixtures/tokenizer_reference.json: GPT-2 ids from js-tiktoken (a tokenizer we did
// not write) for hard edge cases, for passages of ../shared/data/fineweb-edu-sample.txt (by byte
// offset; the text is not copied) and a hash of the ids of the whole sample.
//   NODE_PATH=$(bash scripts/install-node-tools.sh) node tests/tools/make_tokenizer_fixture.js
const { getEncoding } = require("js-tiktoken");
const fs = require("fs");
const path = require("path");

const enc = getEncoding("gpt2");
const ordinary = (s) => enc.encode(s, [], []);  // no special tokens: <|endoftext|> is text

const cases = [
  "hello", "world", "Hello world", " leading space", "trailing space ", "trailing spaces   ",
  "I'm", "DON'T", "he's HE'S She'S", "we'll WE'LL we've they're I'd", "'s's 's", "rock'n'roll",
  "can't won't shan't", "y'all", "’curly’ apostrophes’s",
  "a  b   c    d", "\n", "\n\n\n  x", "line\r\nbreak\r\n", "\t\ttabs\t", "   \n   \n", "x\n\n\n\n",
  " ".repeat(100) + "end", "\n".repeat(50), "1234567890", "3.14159265358979", "12,345,678.90", "0x1F4A9",
  "2024-05-20T12:34:56Z", "a1b2c3", "H2O CO2", "Ⅻ ² ½ ٣ ४ ௫", "①②③",
  "😀", "👍🏽", "👨‍👩‍👧‍👦 family", "🏳️‍🌈", "🇫🇷🇯🇵", "emoji😀inside", "✓✗★☆",
  "日本語のテキスト", "中文文本，标点。", "한국어 텍스트", "العربية نص", "עברית", "हिन्दी पाठ", "ภาษาไทย",
  "Ελληνικά", "Русский текст", "café naïve coöperate", "e\u0301 combining", "Zalgo: Z\u0351\u0364a\u0353l",
  "non\u00a0breaking", "ideographic\u3000space", "zero\u200bwidth", "bom\ufeffinside", "nel\u0085char",
  "em\u2003space", "line\u2028sep", "<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>",
  "!!!???...", "--- *** ###", "@user #tag $100 %50 ^2 &amp;", "C++ && || -> <= >=", "path/to/file.txt",
  "https://example.com/a?b=c&d=e", "def f(x):\n    return x**2\n", "{\"json\": [1, 2, 3]}",
  "MiXeD CaSe WoRdS", "ALLCAPS", "x".repeat(300), "ab".repeat(200), "\u0000null\u0001ctl\u001f",
  "\u001c\u001d\u001e separators", "7".repeat(2000), " ".repeat(2000) + "x", "\n \n ".repeat(500), "a".repeat(2000),
];

const sampleFile = path.join(__dirname, "..", "..", "..", "shared", "data", "fineweb-edu-sample.txt");
const sample = fs.readFileSync(sampleFile);
// Passages cut at ASCII spaces so each is valid UTF-8 on its own.
const passages = [];
for (const [start, len] of [[0, 2000], [100000, 3000], [400000, 5000], [777777, 4000], [995000, 9029]]) {
  let a = start;
  while (a > 0 && sample[a - 1] !== 0x20) a--;
  let b = Math.min(sample.length, a + len);
  while (b < sample.length && sample[b] !== 0x20) b++;
  passages.push({ offset: a, length: b - a, ids: ordinary(sample.subarray(a, b).toString("utf8")) });
}
// FNV-1a 64 of the ids written as decimal text separated by single spaces.
function fnv1a64(text) {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString();
}
const whole = ordinary(sample.toString("utf8"));
const out = {
  reference: "js-tiktoken 1.0.21 (scripts/install-node-tools.sh), encoding gpt2, no special tokens",
  cases: cases.map((text) => ({ text, ids: ordinary(text) })),
  fineweb_passages: passages,
  fineweb_whole: { bytes: sample.length, count: whole.length, fnv1a64: fnv1a64(whole.join(" ")) },
};
fs.writeFileSync(path.join(__dirname, "..", "fixtures", "tokenizer_reference.json"), JSON.stringify(out, null, 0) + "\n");
console.log(`${out.cases.length} cases, ${passages.length} passages, whole sample ${whole.length} ids`);
