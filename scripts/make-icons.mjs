// Draws Hearth's app icons (a cream house with a heart, on the theme colour) and writes them as PNGs to
// static/icons/. Plain Node with no dependencies: shapes are signed-distance functions, anti-aliased by
// supersampling, and the PNG is encoded here with node:zlib and a CRC-32 table.
//
//   node scripts/make-icons.mjs
//
// The PNGs are committed; run this again only when the motif changes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'static', 'icons');

const THEME = [0x7a, 0x3e, 0x2b]; // manifest theme_color
const CREAM = [0xfb, 0xf7, 0xf2]; // manifest background_color
const SAMPLES = 5; // per axis: 25 samples per pixel

// ---- shapes, in motif units: x right, y down, the house spans about -0.82..0.82 by -0.8..0.72 ----

/** Signed distance to a simple polygon (negative inside); Inigo Quilez's winding-number form. */
function polygonDistance(points, x, y) {
  let d = Infinity;
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [ax, ay] = points[i];
    const [bx, by] = points[j];
    const ex = bx - ax;
    const ey = by - ay;
    const wx = x - ax;
    const wy = y - ay;
    const t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    const dx = wx - ex * t;
    const dy = wy - ey * t;
    d = Math.min(d, dx * dx + dy * dy);
    if (ay > y !== by > y && x < (ex * (y - ay)) / ey + ax) inside = !inside;
  }
  return (inside ? -1 : 1) * Math.sqrt(d);
}

const CORNER = 0.06; // rounding of the house's outer corners
const HOUSE = [
  [0, -0.8],
  [0.82, -0.08],
  [0.6, -0.08],
  [0.6, 0.72],
  [-0.6, 0.72],
  [-0.6, -0.08],
  [-0.82, -0.08],
].map(([x, y]) => [x * (1 - CORNER), y * (1 - CORNER)]);
const CHIMNEY = [
  [0.34, -0.66],
  [0.54, -0.66],
  [0.54, -0.3],
  [0.34, -0.3],
];

function inHouse(x, y) {
  return Math.min(polygonDistance(HOUSE, x, y), polygonDistance(CHIMNEY, x, y)) <= CORNER;
}

const HEART_SCALE = 0.3;
const HEART_Y = 0.32;

/** The classic heart curve (x² + y² - 1)³ - x²y³ ≤ 0, flipped to y-down and placed in the house. */
function inHeart(x, y) {
  const hx = x / HEART_SCALE;
  const hy = -(y - HEART_Y) / HEART_SCALE + 0.1;
  const a = hx * hx + hy * hy - 1;
  return a * a * a - hx * hx * hy * hy * hy <= 0;
}

// ---- rasterising ----

/**
 * @param {number} size pixels per side
 * @param {{ motifScale: number, cornerRadius: number | null }} layout motifScale: pixels per motif unit as a
 *   fraction of size; cornerRadius: the background's rounding as a fraction of size, or null for full bleed
 */
function render(size, { motifScale, cornerRadius }) {
  const rgba = Buffer.alloc(size * size * 4);
  const half = size / 2;
  const unit = motifScale * size;
  const bgCorner = cornerRadius === null ? null : cornerRadius * size;

  const inBackground = (px, py) => {
    if (bgCorner === null) return true;
    // A rounded square: distance from the inner rectangle, compared with the radius.
    const qx = Math.max(Math.abs(px - half) - (half - bgCorner), 0);
    const qy = Math.max(Math.abs(py - half) - (half - bgCorner), 0);
    return qx * qx + qy * qy <= bgCorner * bgCorner;
  };

  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      let background = 0;
      let cream = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const px = col + (sx + 0.5) / SAMPLES;
          const py = row + (sy + 0.5) / SAMPLES;
          if (!inBackground(px, py)) continue;
          background++;
          const x = (px - half) / unit;
          const y = (py - half) / unit + 0.04; // centre the house's bounding box vertically
          if (inHouse(x, y) && !inHeart(x, y)) cream++;
        }
      }
      const total = SAMPLES * SAMPLES;
      const i = (row * size + col) * 4;
      if (background === 0) continue; // transparent
      const t = cream / background;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(THEME[c] * (1 - t) + CREAM[c] * t);
      rgba[i + 3] = Math.round((255 * background) / total);
    }
  }
  return rgba;
}

// ---- PNG encoding ----

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  // compression, filter and interlace methods stay 0
  const stride = size * 4;
  const raw = Buffer.alloc((stride + 1) * size);
  for (let row = 0; row < size; row++) {
    raw[row * (stride + 1)] = 0; // filter: none
    rgba.copy(raw, row * (stride + 1) + 1, row * stride, (row + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// "any": a rounded tile, since launchers show it as is. "maskable": full bleed, with the house (at most
// 0.94 motif units from the centre) inside the spec's safe zone, a circle of radius 0.4 × size.
const VARIANTS = [
  { name: 'icon', motifScale: 0.37, cornerRadius: 0.22 },
  { name: 'maskable', motifScale: 0.33, cornerRadius: null },
];

mkdirSync(OUT_DIR, { recursive: true });
for (const { name, ...layout } of VARIANTS) {
  for (const size of [192, 512]) {
    const file = join(OUT_DIR, `${name}-${size}.png`);
    writeFileSync(file, encodePng(size, render(size, layout)));
    console.log(`wrote ${file}`);
  }
}
