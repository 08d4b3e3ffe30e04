// Prometheus text format, as the tests read /metrics: samples keyed "name{k=v,...}" with the
// labels sorted, so a lookup does not depend on the order the exporter wrote them in.
import assert from 'node:assert/strict';

export function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.set(sampleKey(m[1], labels), Number(m[3]));
  }
  return samples;
}

export function sampleKey(name, labels) {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${name}{${parts.join(',')}}`;
}

// One scrape of a daemon started by lib/daemon.mjs.
export async function scrapeMetrics(daemon) {
  const res = await fetch(daemon.metricsUrl, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return parseMetrics(await res.text());
}

// A sample's value; fails the test when the series is not exported.
export function metric(samples, name, labels = {}) {
  const value = samples.get(sampleKey(name, labels));
  assert.notEqual(value, undefined, `metric ${sampleKey(name, labels)} is exported`);
  return value;
}
