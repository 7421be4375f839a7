#!/usr/bin/env node
// Standalone verifier of pack openings and upgrade rolls (docs/fairness.md): one file, Node.js and
// nothing else, no server and no project code. It recomputes the draw from a verification record
// (the body of `GET /api/fairness/verify/:id`, saved after the seed was revealed) and compares it
// with what the record says happened.
//
//   node scripts/fairness-verify.mjs opening.json      (or: npm run fairness:verify -- opening.json)
//   curl -H "authorization: Bearer …" …/api/fairness/verify/<id> | node scripts/fairness-verify.mjs -
//
// Exit code 0: every check passed; 1: a check failed; 2: the record could not be read.
import { Buffer } from 'node:buffer';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const RARITIES = ['common', 'uncommon', 'rare', 'epic', 'legendary', 'mythic'];
const RANGE = 2 ** 48;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Sorted keys at every level, no spaces; bigints as their digits. */
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** The numbers of one slot: HMAC steps of five 48-bit big-endian numbers each, used in order. */
function stream(serverSeed, clientSeed, nonce, slot) {
  const key = Buffer.from(serverSeed, 'hex');
  let step = 0;
  let digest = null;
  let used = 5;
  const next = () => {
    if (used === 5) {
      digest = createHmac('sha256', key).update(`${clientSeed}:${nonce}:${slot}:${step++}`).digest();
      used = 0;
    }
    return digest.readUIntBE(6 * used++, 6);
  };
  return {
    /** Uniform in [0, n): numbers in the incomplete last block are rejected. */
    int(n) {
      const limit = RANGE - (RANGE % n);
      for (;;) {
        const x = next();
        if (x < limit) return x % n;
      }
    },
  };
}

function eligibleByRarity(table, supply) {
  const groups = new Map(RARITIES.map((r) => [r, []]));
  for (const card of table.pool) {
    if (card.maxSupply !== null && (supply[card.cardId] ?? 0) <= 0) continue;
    groups.get(card.rarity).push(card.cardId);
  }
  return groups;
}

/** Recomputes an opening's pulls (see docs/fairness.md, "Drawing a pack"). */
export function drawPack({ serverSeed, clientSeed, nonce, table, pityCounter, supply }) {
  const remaining = { ...supply };
  const capped = new Set(table.pool.filter((c) => c.maxSupply !== null).map((c) => c.cardId));
  const pityPack = table.pity !== null && pityCounter >= table.pity.packs - 1;
  const pulls = [];
  let pityApplied = false;
  let eligible = eligibleByRarity(table, remaining);
  for (let slot = 0; slot < table.slots.length; slot++) {
    const base = table.slots[slot].weights;
    let weights = RARITIES.map((r) => [r, eligible.get(r).length > 0 ? (base[r] ?? 0) : 0]).filter(([, w]) => w > 0);
    if (pityPack && slot === table.slots.length - 1) {
      const floor = RARITIES.indexOf(table.pity.rarity);
      const guaranteed = weights.filter(([r]) => RARITIES.indexOf(r) >= floor);
      if (guaranteed.length > 0) {
        weights = guaranteed;
        pityApplied = true;
      }
    }
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) throw new Error(`slot ${slot}: nothing left to draw`);
    const numbers = stream(serverSeed, clientSeed, nonce, slot);
    let ticket = numbers.int(total);
    let rarity = 'common';
    for (const [r, w] of weights) {
      rarity = r;
      if (ticket < w) break;
      ticket -= w;
    }
    const cards = eligible.get(rarity);
    const cardId = cards[numbers.int(cards.length)];
    if (capped.has(cardId)) {
      remaining[cardId] -= 1;
      if (remaining[cardId] <= 0) eligible = eligibleByRarity(table, remaining);
    }
    pulls.push({ slot, rarity, cardId });
  }
  return { pulls, pityApplied };
}

/** Every check of a verification record; `valid` when all pass. */
export function verifyRecord(record) {
  const seedHex = /^[0-9a-f]{64}$/.test(record.serverSeed ?? '');
  const checks = {
    serverSeedMatchesCommitment: seedHex && sha256(Buffer.from(record.serverSeed, 'hex')) === record.serverSeedHash,
  };
  let recomputed;
  if (record.kind === 'upgrade') {
    const roll = seedHex ? stream(record.serverSeed, record.clientSeed, record.nonce, 0).int(10_000) : null;
    recomputed = { roll, success: roll !== null && roll < record.upgrade.successBps };
    checks.rollMatches = roll === record.upgrade.roll && recomputed.success === record.upgrade.success;
  } else {
    const o = record.opening;
    checks.dropTableMatchesCommitment = sha256(canonicalJson(o.dropTable)) === o.dropTableHash;
    try {
      recomputed = seedHex
        ? drawPack({
            serverSeed: record.serverSeed,
            clientSeed: record.clientSeed,
            nonce: record.nonce,
            table: o.dropTable,
            pityCounter: o.pityCounter,
            supply: o.supply,
          })
        : { pulls: [], pityApplied: false };
    } catch {
      recomputed = { pulls: [], pityApplied: false };
    }
    checks.pullsMatch =
      canonicalJson(recomputed.pulls) === canonicalJson(o.pulls) && recomputed.pityApplied === o.pityApplied;
  }
  return { valid: Object.values(checks).every(Boolean), checks, recomputed };
}

async function main() {
  const source = process.argv[2];
  if (!source) {
    process.stderr.write('usage: fairness-verify <record.json | ->\n');
    process.exit(2);
  }
  let record;
  try {
    const text = source === '-' ? readFileSync(0, 'utf8') : readFileSync(source, 'utf8');
    record = JSON.parse(text);
    if (record.kind !== 'opening' && record.kind !== 'upgrade') throw new Error('kind must be opening or upgrade');
  } catch (err) {
    process.stderr.write(`cannot read the record: ${err.message}\n`);
    process.exit(2);
  }
  const result = verifyRecord(record);
  process.stdout.write(`${JSON.stringify({ id: record.id, kind: record.kind, ...result }, null, 2)}\n`);
  process.stderr.write(result.valid ? 'valid: every check passed\n' : 'NOT VALID: a check failed\n');
  process.exit(result.valid ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
