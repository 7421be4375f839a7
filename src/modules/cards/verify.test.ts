import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drawPack, dropTableHash } from './draw.ts';
import { hashServerSeed, rollUpgrade } from './fair.ts';
import { sampleDropTable } from './sample-table.ts';
import { verifyOpening, verifyUpgrade, type OpeningProof } from './verify.ts';

function realOpening(): OpeningProof {
  const serverSeed = randomBytes(32).toString('hex');
  const table = sampleDropTable({ capped: { mythic: 3 } });
  const supply = { '5-mythic-000': 1, '5-mythic-001': 0, '5-mythic-002': 3 };
  const inputs = { serverSeed, clientSeed: 'my lucky seed', nonce: 42n, table, pityCounter: 9, supply };
  const draw = drawPack(inputs);
  return {
    ...inputs,
    serverSeedHash: hashServerSeed(serverSeed),
    dropTableHash: dropTableHash(table),
    pulls: draw.pulls,
    pityApplied: draw.pityApplied,
  };
}

describe('verifyOpening', () => {
  it('confirms a real opening from its revealed seed', () => {
    const proof = realOpening();
    const result = verifyOpening(proof);
    expect(result.valid).toBe(true);
    expect(result.recomputed).toEqual(proof.pulls);
    expect(proof.pityApplied).toBe(true);
  });

  it('fails with another server seed', () => {
    const proof = realOpening();
    const result = verifyOpening({ ...proof, serverSeed: randomBytes(32).toString('hex') });
    expect(result.valid).toBe(false);
    expect(result.checks.serverSeedMatchesCommitment).toBe(false);
    expect(result.checks.pullsMatch).toBe(false);
  });

  it('fails when the seed and its hash are swapped together (the draw no longer matches)', () => {
    const proof = realOpening();
    const forged = randomBytes(32).toString('hex');
    const result = verifyOpening({ ...proof, serverSeed: forged, serverSeedHash: hashServerSeed(forged) });
    expect(result.checks.serverSeedMatchesCommitment).toBe(true);
    expect(result.valid).toBe(false);
  });

  it('fails with a tampered nonce or client seed', () => {
    const proof = realOpening();
    expect(verifyOpening({ ...proof, nonce: 43n }).checks.pullsMatch).toBe(false);
    expect(verifyOpening({ ...proof, clientSeed: 'my lucky seed!' }).checks.pullsMatch).toBe(false);
    expect(verifyOpening({ ...proof, nonce: 43n }).valid).toBe(false);
  });

  it('fails with a tampered drop table, even one that draws the same cards', () => {
    const proof = realOpening();
    const slots = proof.table.slots.map((s, i) => (i === 0 ? { weights: { ...s.weights, common: 7001 } } : s));
    const nudged = { ...proof.table, slots };
    const result = verifyOpening({ ...proof, table: nudged });
    expect(result.checks.dropTableMatchesCommitment).toBe(false);
    expect(result.valid).toBe(false);
    const noPity = verifyOpening({ ...proof, table: { ...proof.table, pity: null } });
    expect(noPity.valid).toBe(false);
  });

  it('fails with tampered pulls, pity flag or supply', () => {
    const proof = realOpening();
    const first = proof.pulls[0];
    if (!first) throw new Error('an opening has pulls');
    const swapped = [{ ...first, cardId: first.cardId === '0-common-000' ? '0-common-001' : '0-common-000' }];
    expect(verifyOpening({ ...proof, pulls: [...swapped, ...proof.pulls.slice(1)] }).valid).toBe(false);
    expect(verifyOpening({ ...proof, pityApplied: false }).valid).toBe(false);
    expect(verifyOpening({ ...proof, pityCounter: 0 }).valid).toBe(false);
  });

  it('reports a malformed seed as a failed check, not an error', () => {
    const result = verifyOpening({ ...realOpening(), serverSeed: 'not hex' });
    expect(result.valid).toBe(false);
    expect(result.recomputed).toEqual([]);
  });
});

describe('verifyUpgrade', () => {
  it('confirms a real roll and rejects a tampered one', () => {
    // A fixed seed: a random one would repeat the roll under another nonce once in 10,000 runs.
    const serverSeed = 'c0ffee'.repeat(10) + 'beef';
    const { roll, success } = rollUpgrade(serverSeed, 'c', 7n, 7500);
    const proof = {
      serverSeed,
      serverSeedHash: hashServerSeed(serverSeed),
      clientSeed: 'c',
      nonce: 7n,
      successBps: 7500,
      roll,
      success,
    };
    expect(verifyUpgrade(proof).valid).toBe(true);
    expect(verifyUpgrade({ ...proof, nonce: 8n }).valid).toBe(false);
    expect(verifyUpgrade({ ...proof, success: !success }).valid).toBe(false);
    expect(verifyUpgrade({ ...proof, serverSeed: randomBytes(32).toString('hex') }).valid).toBe(false);
  });
});
