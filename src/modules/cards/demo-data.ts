import type { RarityWeights } from './draw.ts';
import { FairStream } from './fair.ts';
import { RARITIES, type Rarity } from './rarity.ts';
import type { CardStats } from './tables.ts';

/**
 * The demo catalogue, generated from one fixed seed with the same fair stream the packs use, so
 * every install gets the same cards: six sets of 55 cards over every rarity, and three products.
 */
export const DEMO_SEED = 'ece0'.repeat(16);

export interface DemoSet {
  code: string;
  name: string;
  description: string;
  releaseDate: string;
  cards: DemoCard[];
}

export interface DemoCard {
  number: number;
  name: string;
  rarity: Rarity;
  element: string;
  stats: CardStats;
  text: string;
  artUrl: string;
  maxSupply: number | null;
  price: number;
}

export interface DemoPack {
  name: string;
  description: string;
  price: number;
  /** Codes of the sets drawn from; empty = all. */
  setCodes: string[];
  slots: { weights: RarityWeights }[];
  pity: { rarity: Rarity; packs: number } | null;
}

const SETS = [
  {
    code: 'EMB',
    name: 'Ember Age',
    theme: 'fire',
    date: '2024-02-01',
    blurb: 'Volcanic kingdoms and the drakes that rule them.',
  },
  {
    code: 'TID',
    name: 'Tidecallers',
    theme: 'water',
    date: '2024-05-15',
    blurb: 'Sea witches, reef titans and drowned cities.',
  },
  {
    code: 'VRD',
    name: 'Verdant Wilds',
    theme: 'nature',
    date: '2024-09-01',
    blurb: 'Ancient forests that fight back.',
  },
  {
    code: 'STF',
    name: 'Storm Forge',
    theme: 'lightning',
    date: '2025-01-20',
    blurb: 'Sky smiths hammering thunder into steel.',
  },
  {
    code: 'GLC',
    name: 'Glacier Crown',
    theme: 'ice',
    date: '2025-06-10',
    blurb: 'The frozen throne and its patient heirs.',
  },
  {
    code: 'UMB',
    name: 'Umbral Rites',
    theme: 'shadow',
    date: '2025-11-05',
    blurb: 'Cults, eclipses and things between stars.',
  },
] as const;

const ELEMENTS = ['fire', 'water', 'nature', 'lightning', 'ice', 'shadow', 'light', 'earth'] as const;
const PER_SET: Record<Rarity, number> = { common: 22, uncommon: 14, rare: 10, epic: 5, legendary: 3, mythic: 1 };
const PRINT_RUN: Partial<Record<Rarity, number>> = { mythic: 150, legendary: 1500 };
const BASE_PRICE: Record<Rarity, number> = {
  common: 10,
  uncommon: 40,
  rare: 150,
  epic: 600,
  legendary: 2500,
  mythic: 12_000,
};

const PREFIXES: Record<string, string[]> = {
  fire: ['Ember', 'Cinder', 'Blaze', 'Ashen', 'Molten', 'Scorch', 'Pyre', 'Flare'],
  water: ['Tidal', 'Brine', 'Coral', 'Abyssal', 'Surf', 'Riptide', 'Pearl', 'Kelp'],
  nature: ['Thorn', 'Moss', 'Elder', 'Bramble', 'Root', 'Bloom', 'Fern', 'Oak'],
  lightning: ['Storm', 'Volt', 'Thunder', 'Spark', 'Static', 'Gale', 'Arc', 'Bolt'],
  ice: ['Frost', 'Rime', 'Glacial', 'Hoar', 'Sleet', 'Winter', 'Crystal', 'Polar'],
  shadow: ['Umbral', 'Dusk', 'Hollow', 'Grim', 'Veiled', 'Night', 'Wraith', 'Eclipse'],
  light: ['Radiant', 'Dawn', 'Gilded', 'Solar', 'Halo', 'Lumen', 'Bright', 'Aurora'],
  earth: ['Stone', 'Granite', 'Iron', 'Quarry', 'Basalt', 'Clay', 'Bedrock', 'Cobble'],
};
const CREATURES = [
  'Drake',
  'Wyrm',
  'Golem',
  'Sentinel',
  'Serpent',
  'Warden',
  'Stalker',
  'Oracle',
  'Knight',
  'Titan',
  'Sprite',
  'Hound',
  'Colossus',
  'Mystic',
  'Raptor',
  'Shaman',
  'Leviathan',
  'Phoenix',
  'Behemoth',
  'Archer',
  'Duelist',
  'Hydra',
  'Monk',
  'Revenant',
  'Basilisk',
  'Chimera',
  'Herald',
  'Juggernaut',
  'Seer',
  'Vanguard',
];
const EPITHETS = ['of the Deep Vale', 'the Unbroken', 'Who Waits', 'of Nine Suns', 'the Last', 'of the Old Pact'];
const ABILITIES = [
  'When played, deal {n} damage to a target.',
  'Gains +{n} attack while you control another {el} card.',
  'Draw a card whenever this survives combat.',
  'Shields an ally for {n} until your next turn.',
  'On defeat, summon a 1/1 {el} token.',
  'Costs {n} less for each {el} card you played this turn.',
  'Cannot be targeted during the first turn it is in play.',
  'Heal {n} health to every ally at the end of your turn.',
];

/** The demo catalogue and products; pure and deterministic. */
export function demoCatalog(): { sets: DemoSet[]; packs: DemoPack[] } {
  const rng = new FairStream(DEMO_SEED, 'demo-catalog', 0, 0);
  const pick = <T>(items: readonly T[]): T => items[rng.nextInt(items.length)] as T;
  const between = (lo: number, hi: number) => lo + rng.nextInt(hi - lo + 1);
  const sets: DemoSet[] = SETS.map((s) => {
    const cards: DemoCard[] = [];
    const used = new Set<string>();
    let number = 1;
    for (const rarity of RARITIES) {
      const rank = RARITIES.indexOf(rarity);
      for (let i = 0; i < PER_SET[rarity]; i++) {
        // Two in three cards carry the set's element; the rest mix the others in.
        const element = rng.nextInt(3) < 2 ? s.theme : pick(ELEMENTS);
        let name = '';
        do {
          name = `${pick(PREFIXES[element] ?? ['Wild'])} ${pick(CREATURES)}`;
          if (rank >= 4) name += ` ${pick(EPITHETS)}`;
        } while (used.has(name));
        used.add(name);
        const power = 1 + rank * 2;
        const text = pick(ABILITIES)
          .replace('{n}', String(between(1, 2 + rank)))
          .replaceAll('{el}', element);
        cards.push({
          number: number++,
          name,
          rarity,
          element,
          stats: {
            attack: between(power, power + 4),
            defense: between(power, power + 4),
            health: between(power + 2, power + 8),
            cost: Math.min(10, between(1 + rank, 3 + rank)),
          },
          text,
          artUrl: `https://art.ece-trading-cards.example/${s.code.toLowerCase()}/${String(number - 1).padStart(3, '0')}.webp`,
          maxSupply: PRINT_RUN[rarity] ?? null,
          // Catalogue value in coin minor units, spread ±25% around the rarity's base.
          price: Math.round(BASE_PRICE[rarity] * 100 * (0.75 + rng.nextInt(51) / 100)),
        });
      }
    }
    return { code: s.code, name: s.name, description: s.blurb, releaseDate: s.date, cards };
  });
  const filler = { common: 7000, uncommon: 2500, rare: 500 };
  const packs: DemoPack[] = [
    {
      name: 'Starter Pack',
      description: 'Three cards from any set. A gentle start.',
      price: 300,
      setCodes: [],
      slots: [{ weights: filler }, { weights: filler }, { weights: { uncommon: 7000, rare: 2500, epic: 500 } }],
      pity: null,
    },
    {
      name: 'Booster Pack',
      description: 'Five cards from any set, an epic or better at least every ten packs.',
      price: 1000,
      setCodes: [],
      slots: [
        { weights: filler },
        { weights: filler },
        { weights: filler },
        { weights: { uncommon: 6000, rare: 3000, epic: 800, legendary: 180, mythic: 20 } },
        { weights: { rare: 7000, epic: 2200, legendary: 650, mythic: 150 } },
      ],
      pity: { rarity: 'epic', packs: 10 },
    },
    {
      name: 'Premium Vault',
      description: 'Five cards from the two newest sets, a legendary or better at least every twenty packs.',
      price: 5000,
      setCodes: ['GLC', 'UMB'],
      slots: [
        { weights: { uncommon: 7000, rare: 3000 } },
        { weights: { uncommon: 7000, rare: 3000 } },
        { weights: { rare: 8000, epic: 2000 } },
        { weights: { rare: 5000, epic: 4000, legendary: 900, mythic: 100 } },
        { weights: { epic: 7500, legendary: 2000, mythic: 500 } },
      ],
      pity: { rarity: 'legendary', packs: 20 },
    },
  ];
  return { sets, packs };
}
