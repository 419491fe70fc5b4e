/**
 * The NAB corpus on disk (github:numenta/NAB layout): `data/<category>/<name>.csv` with a
 * `timestamp,value` header (UTC `YYYY-MM-DD HH:MM:SS`), and `labels/combined_windows.json` mapping
 * `<category>/<name>.csv` to labelled windows `[[start, end], ...]` (a row is inside when
 * start <= timestamp <= end).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Window } from './scoring.js';

export interface NabFile {
  /** `<category>/<name>.csv`, the key of the labels file. */
  name: string;
  /** Row timestamps, Unix milliseconds (UTC). */
  times: number[];
  values: number[];
  /** Labelled windows as inclusive row-index ranges, in order. */
  windows: Window[];
}

/** Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) to Unix milliseconds. */
export function parseNabTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(s.trim());
  if (!m) throw new Error(`not a NAB timestamp: ${JSON.stringify(s)}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** Maps timestamp windows to index ranges: the first and last row with start <= t <= end. */
export function windowIndices(times: readonly number[], windows: readonly (readonly [string, string])[]): Window[] {
  const out: Window[] = [];
  for (const [s, e] of windows) {
    const start = parseNabTime(s);
    const end = parseNabTime(e);
    let first = -1;
    let last = -1;
    for (let i = 0; i < times.length; i++) {
      if (times[i] >= start && times[i] <= end) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) out.push([first, last]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Loads every labelled series under dir (`data/` and `labels/combined_windows.json`); errors name
 * the file at fault. Files without a labels entry are an error: a series the scorer cannot judge
 * would silently shrink the corpus.
 */
export function loadCorpus(dir: string, only?: RegExp): NabFile[] {
  const labelsPath = join(dir, 'labels', 'combined_windows.json');
  const dataDir = join(dir, 'data');
  if (!existsSync(labelsPath)) throw new Error(`NAB corpus: ${labelsPath} not found (expected <dir>/labels/combined_windows.json)`);
  if (!existsSync(dataDir)) throw new Error(`NAB corpus: ${dataDir} not found (expected <dir>/data/<category>/<name>.csv)`);
  const labels = JSON.parse(readFileSync(labelsPath, 'utf8')) as Record<string, [string, string][]>;
  const files: NabFile[] = [];
  for (const category of readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(join(dataDir, category)).filter((f) => f.endsWith('.csv')).sort()) {
      const name = `${category}/${file}`;
      if (only && !only.test(name)) continue;
      const windows = labels[name];
      if (!windows) throw new Error(`NAB corpus: ${name} has no entry in ${labelsPath}`);
      const { times, values } = parseSeries(readFileSync(join(dataDir, category, file), 'utf8'), name);
      files.push({ name, times, values, windows: windowIndices(times, windows) });
    }
  }
  if (files.length === 0) throw new Error(`NAB corpus: no CSV files under ${dataDir}${only ? ` matching ${only}` : ''}`);
  return files;
}

/** Parses a `timestamp,value` CSV; errors name the file and line. */
export function parseSeries(text: string, name: string): { times: number[]; values: number[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!/^timestamp,value$/i.test(lines[0]?.trim() ?? '')) throw new Error(`${name}: expected the header "timestamp,value", got ${JSON.stringify(lines[0])}`);
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [ts, v] = lines[i].split(',');
    const value = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(value)) throw new Error(`${name}:${i + 1}: value ${JSON.stringify(v)} is not a finite number`);
    try {
      times.push(parseNabTime(ts));
    } catch (e) {
      throw new Error(`${name}:${i + 1}: ${(e as Error).message}`);
    }
    values.push(value);
  }
  return { times, values };
}
