// Deterministic, meaningful embeddings for the fakes: a hashed bag of words.
//
// Text is lower-cased and split into letter/digit runs; a short list of English
// stop words is dropped and a plural "s"/"es" is folded, so "circuit breakers"
// and "circuit breaker" share their features. Each word (weight 1) and each pair
// of neighbouring words (weight 0.5) is hashed into one of `dims` buckets with a
// hashed sign, term frequencies are damped (1 + ln tf), and the vector is
// L2-normalised. Texts that share words therefore get a higher cosine than texts
// that don't, which lets retrieval tests assert a real ranking.
//
// The model name seeds the hash, so two models give incomparable vectors, as
// real models do.

const kStopWords = new Set(
  (
    'a an and are as at be been but by for from had has have he her his how i if in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this to was we ' +
    'were what when where which who why will with you your'
  ).split(' '),
);

const kEmptyTextFeature = '\u0000empty';

export function tokenize(text) {
  const words = String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words;
}

function fold(word) {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(ches|shes|sses|xes|zes)$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}

// Content terms of a text, in order (stop words removed, plurals folded).
export function terms(text) {
  return tokenize(text)
    .filter((w) => !kStopWords.has(w))
    .map(fold);
}

// 32-bit FNV-1a over the UTF-8 bytes of `s`, continuing from `seed`.
function fnv1a(s, seed = 0x811c9dc5) {
  let h = seed >>> 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function embed(text, { dims = 384, model = '' } = {}) {
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`dims must be a positive integer, got ${dims}`);
  const seed = fnv1a(model);
  const features = new Map();
  const add = (feature, weight) => features.set(feature, (features.get(feature) ?? 0) + weight);
  const t = terms(text);
  t.forEach((w, i) => {
    add(`w:${w}`, 1);
    if (i > 0) add(`b:${t[i - 1]} ${w}`, 0.5);
  });
  if (features.size === 0) add(kEmptyTextFeature, 1);

  const v = new Float64Array(dims);
  for (const [feature, tf] of features) {
    const h = fnv1a(feature, seed);
    const bucket = h % dims;
    const sign = fnv1a(feature, seed ^ 0x5bd1e995) & 1 ? 1 : -1;
    v[bucket] += sign * (1 + Math.log(tf));
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) {
    // Every feature cancelled out in its bucket; fall back to a fixed unit vector.
    v[fnv1a(kEmptyTextFeature, seed) % dims] = 1;
    norm = 1;
  }
  return Array.from(v, (x) => Math.fround(x / norm));
}

// Number of "tokens" the fake counts against a model's context length: one per
// word, stop words included (closer to what a real tokenizer sees).
export function countTokens(text) {
  return tokenize(text).length;
}

// Keeps the first `limit` word tokens of `text` (what truncate=true does).
export function truncateTokens(text, limit) {
  const re = /[\p{L}\p{N}]+/gu;
  let n = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    n += 1;
    if (n === limit) return text.slice(0, m.index + m[0].length);
  }
  return text;
}

export function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

// Ranks `docs` ({text, ...}) by cosine similarity to `query`; used by the
// orchestrator and LightRAG fakes to answer from what was ingested.
export function rankDocuments(query, docs, { dims = 384, model = 'fake-rag' } = {}) {
  const q = embed(query, { dims, model });
  const qTerms = new Set(terms(query));
  return docs
    .map((doc) => {
      doc.vector ??= embed(doc.text, { dims, model });
      const shared = terms(doc.text).filter((t) => qTerms.has(t)).length;
      return { doc, score: cosine(q, doc.vector), shared };
    })
    .filter((r) => r.shared > 0)
    .sort((a, b) => b.score - a.score);
}
