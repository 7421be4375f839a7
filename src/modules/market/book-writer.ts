import { withRetryableTransaction, type Db } from '../../platform/db/tx.ts';
import { placeBatch, type BookState } from './batch.ts';
import { loadMarketSettings, type MarketSettings } from './config-service.ts';
import { UnknownCardError } from './errors.ts';
import { isUuid, type OrderRow } from './repo.ts';
import type { PlaceOrderInput } from './service.ts';

interface Pending {
  input: PlaceOrderInput;
  resolve: (placed: { order: OrderRow; settings: MarketSettings }) => void;
  reject: (error: unknown) => void;
}

interface BookQueue {
  waiting: Pending[];
  busy: boolean;
  /** The book as this process last saw it commit (checked against the book row's version). */
  state: BookState | undefined;
}

/**
 * The exchange's write path in one process: orders for a book queue up while that book's previous
 * batch settles, then go together as the next batch, in arrival order, in one transaction under one
 * book lock (group commit). Books settle in parallel; each order is acknowledged only after its
 * batch commits, so an acknowledged order is durable. Several processes can run one each: the book
 * row's lock serialises their batches and its version tells each whether its copy of the book is
 * current.
 */
export class BookWriter {
  private readonly books = new Map<string, BookQueue>();

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 64,
  ) {}

  /** Places one order; resolves once it is committed, with the settings it was placed under. */
  place(input: PlaceOrderInput): Promise<{ order: OrderRow; settings: MarketSettings }> {
    if (!isUuid(input.variantId)) return Promise.reject(new UnknownCardError());
    const variantId = input.variantId.toLowerCase();
    let q = this.books.get(variantId);
    if (!q) {
      q = { waiting: [], busy: false, state: undefined };
      this.books.set(variantId, q);
    }
    const queue = q;
    const placed = new Promise<{ order: OrderRow; settings: MarketSettings }>((resolve, reject) => {
      queue.waiting.push({ input, resolve, reject });
    });
    if (!queue.busy) void this.drain(variantId, queue);
    return placed;
  }

  private async drain(variantId: string, q: BookQueue): Promise<void> {
    q.busy = true;
    try {
      while (q.waiting.length > 0) {
        const batch = q.waiting.splice(0, this.maxBatch);
        await this.settle(variantId, q, batch);
      }
    } finally {
      q.busy = false;
    }
  }

  private async settle(variantId: string, q: BookQueue, batch: Pending[]): Promise<void> {
    // The kept book is used by the first attempt only: a retried attempt starts from the database.
    let kept = q.state;
    q.state = undefined;
    try {
      const { outcomes, state, settings } = await withRetryableTransaction(this.db, async (tx) => {
        const settings = await loadMarketSettings(tx);
        const start = kept;
        kept = undefined;
        const result = await placeBatch(
          tx,
          variantId,
          batch.map((p) => p.input),
          settings,
          start,
        );
        return { ...result, settings };
      });
      q.state = state;
      for (const [i, p] of batch.entries()) {
        const outcome = outcomes[i];
        if (outcome?.ok) p.resolve({ order: outcome.order, settings });
        else p.reject(outcome?.error ?? new Error('order left unsettled'));
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
