/*
 * Built-in strategies a user starts from: four rules documents and one JavaScript strategy. Each is
 * a working strategy as it stands; a user copies one and tunes its numbers.
 */
import type { IndicatorSpec } from './indicators.ts';
import type { RulesDocument } from './rules.ts';

export type StrategyTemplate =
  | { id: string; name: string; description: string; kind: 'rules'; document: RulesDocument }
  | { id: string; name: string; description: string; kind: 'code'; source: string };

const sma = (period: number): IndicatorSpec => ({ indicator: 'sma', period });
const rsi: IndicatorSpec = { indicator: 'rsi', period: 14 };
const close: IndicatorSpec = { indicator: 'price', source: 'close' };
const band = (which: 'upper' | 'middle' | 'lower'): IndicatorSpec => ({
  indicator: 'bollinger',
  period: 20,
  stdDev: 2,
  band: which,
});

const SMA_CROSSOVER: RulesDocument = {
  version: 1,
  entry: { when: { cross: 'above', left: sma(10), right: sma(30) }, size: { kind: 'percent', percent: 25 } },
  exit: { when: { cross: 'below', left: sma(10), right: sma(30) } },
};

const RSI_MEAN_REVERSION: RulesDocument = {
  version: 1,
  entry: { when: { compare: '<', left: rsi, right: { value: 30 } }, size: { kind: 'percent', percent: 20 } },
  exit: { when: { compare: '>', left: rsi, right: { value: 60 } }, stopLossPct: 10 },
  cooldownCandles: 3,
};

const BOLLINGER_BREAKOUT: RulesDocument = {
  version: 1,
  entry: { when: { cross: 'above', left: close, right: band('upper') }, size: { kind: 'percent', percent: 25 } },
  exit: { when: { cross: 'below', left: close, right: band('middle') }, trailingStopPct: 8 },
};

const DCA: RulesDocument = {
  version: 1,
  entry: { when: { always: true }, size: { kind: 'fixed', quantity: 1 } },
  cooldownCandles: 24,
};

/*
 * The grid keeps its levels on a fixed ladder (an anchor price plus whole steps, kept in `state`),
 * so resting orders stay where they are while the price moves within the grid; only orders that
 * fall outside the nearest LEVELS rungs on their side are cancelled.
 */
const GRID_SOURCE = `// Grid: limit buys on the LEVELS rungs below the last close, limit sells on the LEVELS rungs
// above it (from cards the bot holds), rungs SPACING_BPS apart. Orders off those rungs are cancelled.
var LEVELS = 3;
var SPACING_BPS = 100; // 1% between rungs
var QUANTITY = 1; // cards per order
var REANCHOR_PCT = 50; // rebuild the ladder when the price is this far from where it was built
var MAX_INTENTS = 100; // what one call may return; the rest follows on the next candle

function decide(input) {
  var intents = [];
  var anchors = {};
  var previous = (input.state && input.state.anchors) || {};
  var cash = input.cash;
  var ids = Object.keys(input.candles).sort();
  for (var i = 0; i < ids.length; i++) {
    var id = ids[i];
    var candles = input.candles[id];
    if (candles.length === 0) continue;
    var close = candles[candles.length - 1].close;
    var anchor = previous[id];
    if (typeof anchor !== 'number' || Math.abs(close - anchor) * 100 > anchor * REANCHOR_PCT) anchor = close;
    anchors[id] = anchor;
    cash = gridFor(id, close, anchor, input, cash, intents);
  }
  return { intents: intents.slice(0, MAX_INTENTS), state: { anchors: anchors } };
}

function gridFor(id, close, anchor, input, cash, intents) {
  var step = Math.max(1, Math.round((anchor * SPACING_BPS) / 10000));
  var offset = (close - anchor) / step;
  var firstBuy = Math.ceil(offset) - 1; // highest rung below the close
  var firstSell = Math.floor(offset) + 1; // lowest rung above it
  var wanted = { buy: [], sell: [] };
  for (var k = 0; k < LEVELS; k++) {
    var buyPrice = anchor + (firstBuy - k) * step;
    if (buyPrice >= 1) wanted.buy.push(buyPrice);
    wanted.sell.push(anchor + (firstSell + k) * step);
  }
  var resting = { buy: [], sell: [] };
  var held = input.holdings[id] ? input.holdings[id].quantity : 0;
  input.openOrders.forEach(function (order) {
    if (order.variantId !== id) return;
    if (order.side === 'sell') held -= order.remaining;
    if (order.price !== null && wanted[order.side].indexOf(order.price) >= 0) resting[order.side].push(order.price);
    else intents.push({ action: 'cancel', orderId: order.id, reason: 'off the grid' });
  });
  wanted.buy.forEach(function (price) {
    if (resting.buy.indexOf(price) >= 0 || price * QUANTITY > cash) return;
    cash -= price * QUANTITY;
    intents.push({ action: 'buy', variantId: id, type: 'limit', quantity: QUANTITY, price: price, reason: 'grid buy' });
  });
  wanted.sell.forEach(function (price) {
    if (resting.sell.indexOf(price) >= 0 || held < QUANTITY) return;
    held -= QUANTITY;
    intents.push({ action: 'sell', variantId: id, type: 'limit', quantity: QUANTITY, price: price, reason: 'grid sell' });
  });
  return cash;
}
`;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The templates, in the order they are offered. */
export const STRATEGY_TEMPLATES: readonly StrategyTemplate[] = deepFreeze([
  {
    id: 'sma-crossover',
    name: 'SMA crossover',
    description:
      'Buys with a quarter of the cash when the 10-candle average crosses above the 30-candle average, ' +
      'and sells when it crosses back below. Follows trends; loses in sideways markets.',
    kind: 'rules',
    document: SMA_CROSSOVER,
  },
  {
    id: 'rsi-mean-reversion',
    name: 'RSI mean reversion',
    description:
      'Buys when the 14-candle RSI drops below 30 (oversold) and sells once it recovers above 60, ' +
      'with a 10% stop-loss. Works in ranges; a falling market keeps it buying dips.',
    kind: 'rules',
    document: RSI_MEAN_REVERSION,
  },
  {
    id: 'bollinger-breakout',
    name: 'Bollinger breakout',
    description:
      'Buys when the close breaks above the upper Bollinger band (20 candles, 2 deviations) and ' +
      'sells when it falls back below the middle band or 8% under its peak.',
    kind: 'rules',
    document: BOLLINGER_BREAKOUT,
  },
  {
    id: 'dca',
    name: 'Dollar-cost averaging',
    description:
      'Buys one card every 24 candles (once a day on hourly candles), whatever the price, and never sells. ' +
      'Set the quantity and the spacing to your budget.',
    kind: 'rules',
    document: DCA,
  },
  {
    id: 'grid',
    name: 'Grid',
    description:
      'Keeps limit buys on the 3 price rungs below the last close and limit sells on the 3 rungs above, ' +
      '1% apart, selling only cards it holds. Profits from prices that swing within a range.',
    kind: 'code',
    source: GRID_SOURCE,
  },
]);
