// Reads a labelled numeric CSV (header row; one label column, 1 = anomaly, 0 = normal) into
// row-major Float64Array features. Every problem is one DatasetError naming the file, line and column.
import { readFileSync, statSync } from 'node:fs';

export interface Dataset {
  name: string;
  path: string;
  features: string[];
  /** row-major, rows * dims */
  X: Float64Array;
  /** 1 = anomaly, 0 = normal */
  y: Uint8Array;
  rows: number;
  dims: number;
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

export function readDataset(path: string, label = 'label'): Dataset {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new DatasetError(`cannot read data file ${path}: ${reason}`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new DatasetError(`data file ${path} is empty (expected a header row and data rows)`);
  const header = lines[0].split(',').map(unquote);
  const labelCol = header.indexOf(label);
  if (labelCol < 0) throw new DatasetError(`data file ${path} has no label column "${label}" (columns: ${header.join(', ')}); use --label NAME`);
  const rows = lines.length - 1;
  if (rows === 0) throw new DatasetError(`data file ${path} has a header but no data rows`);
  const dims = header.length - 1;
  if (dims === 0) throw new DatasetError(`data file ${path} has only the label column, no features`);
  const X = new Float64Array(rows * dims);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    const lineNo = r + 2;
    if (cells.length !== header.length) {
      throw new DatasetError(`${path} line ${lineNo}: ${cells.length} cells, the header has ${header.length}`);
    }
    let j = 0;
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim();
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        throw new DatasetError(`${path} line ${lineNo} column "${header[c]}": "${cells[c]}" is not a finite number`);
      }
      if (c === labelCol) {
        if (v !== 0 && v !== 1) throw new DatasetError(`${path} line ${lineNo}: label "${cells[c]}" is not 0 or 1`);
        y[r] = v;
      } else {
        X[r * dims + j++] = v;
      }
    }
  }
  const name = path.replace(/^.*\//, '').replace(/\.csv$/i, '');
  return { name, path, features: header.filter((_, i) => i !== labelCol), X, y, rows, dims };
}
