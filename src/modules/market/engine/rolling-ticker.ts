import type { TradeTick } from './candles.ts';
import { TICKER_WINDOW_MS, tickerOf, type Ticker } from './ticker.ts';

/**
 * A 24 h ticker kept current trade by trade, without rescanning the window: running sums, and
 * monotonic queues for the high and the low, so adding a trade and sliding the window are amortised
 * O(1). Trades must be added in execution order with non-decreasing timestamps.
 */
export class RollingTicker {
  private readonly window: TradeTick[] = [];
  private head = 0;
  /** Indexes into `window` whose prices decrease (highs) or increase (lows) from front to back. */
  private highs: number[] = [];
  private highsHead = 0;
  private lows: number[] = [];
  private lowsHead = 0;
  private previous: bigint | null;
  private volume = 0n;
  private notional = 0n;
  private lastTs = Number.NEGATIVE_INFINITY;
  private lastNow = Number.NEGATIVE_INFINITY;

  /** `previousPrice`: the last price before any trade this ticker will see, when known. */
  constructor(previousPrice: bigint | null = null) {
    this.previous = previousPrice;
  }

  add(trade: TradeTick): void {
    if (trade.ts < this.lastTs || trade.ts <= this.lastNow - TICKER_WINDOW_MS) {
      throw new RangeError('trades must be added in time order');
    }
    this.lastTs = trade.ts;
    const index = this.window.length;
    this.window.push(trade);
    this.volume += trade.quantity;
    this.notional += trade.price * trade.quantity;
    while (this.highs.length > this.highsHead && this.priceAt(this.highs[this.highs.length - 1]) <= trade.price) {
      this.highs.pop();
    }
    this.highs.push(index);
    while (this.lows.length > this.lowsHead && this.priceAt(this.lows[this.lows.length - 1]) >= trade.price) {
      this.lows.pop();
    }
    this.lows.push(index);
  }

  /** The ticker at `now` (not before the last added trade); trades older than the window leave for good. */
  at(now: number, bestBid: bigint | null, bestAsk: bigint | null): Ticker {
    if (now < this.lastTs || now < this.lastNow) throw new RangeError('a rolling ticker only moves forward in time');
    this.lastNow = now;
    const windowStart = now - TICKER_WINDOW_MS;
    this.evictThrough(windowStart);
    const count = this.window.length - this.head;
    const first = this.window[this.head];
    const last = this.window[this.window.length - 1];
    const highIndex = this.highs[this.highsHead];
    const lowIndex = this.lows[this.lowsHead];
    return tickerOf({
      windowStart,
      windowEnd: now,
      previous: this.previous,
      first: count > 0 && first !== undefined ? first.price : null,
      last: count > 0 && last !== undefined ? last.price : null,
      high: count > 0 && highIndex !== undefined ? this.priceAt(highIndex) : null,
      low: count > 0 && lowIndex !== undefined ? this.priceAt(lowIndex) : null,
      volume: this.volume,
      notional: this.notional,
      trades: count,
      bestBid,
      bestAsk,
    });
  }

  private evictThrough(windowStart: number): void {
    for (let t = this.window[this.head]; t !== undefined && t.ts <= windowStart; t = this.window[this.head]) {
      this.previous = t.price;
      this.volume -= t.quantity;
      this.notional -= t.price * t.quantity;
      if (this.highs[this.highsHead] === this.head) this.highsHead += 1;
      if (this.lows[this.lowsHead] === this.head) this.lowsHead += 1;
      this.head += 1;
    }
    this.compact();
  }

  /** Drops evicted entries once they make up most of the arrays, keeping memory bounded by the window. */
  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.window.length) return;
    const shift = this.head;
    this.window.splice(0, shift);
    this.head = 0;
    const rebase = (queue: number[], from: number) => queue.slice(from).map((i) => i - shift);
    this.highs = rebase(this.highs, this.highsHead);
    this.highsHead = 0;
    this.lows = rebase(this.lows, this.lowsHead);
    this.lowsHead = 0;
  }

  private priceAt(index: number | undefined): bigint {
    const trade = index === undefined ? undefined : this.window[index];
    if (trade === undefined) throw new RangeError('ticker window index out of range');
    return trade.price;
  }
}
